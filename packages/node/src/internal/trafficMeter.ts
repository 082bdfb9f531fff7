/**
 * Counts frames and bytes per connection by wrapping a `Transport`: the peer layer keeps no byte counters, and the
 * RPC's `get_connections` (bytes_read, bytes_written, last_message_time) and the status line and devnet table (message
 * rates) need them. Counting is per chunk of frames, so the cost is a few additions per message.
 */
import { Chunk, Effect, Stream } from "effect"
import type { Connection, TransportShape } from "@peerwire/transport"

export interface TrafficCounts {
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  /** Epoch milliseconds of the last frame received (0 = none yet). */
  lastIn: number
}

const zero = (): TrafficCounts => ({ framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, lastIn: 0 })

export class TrafficMeter {
  /** Live connections by transport connection id (the `ConnectionInfo.id` of the peer manager). */
  private readonly byConnection = new Map<string, TrafficCounts>()
  /** Everything since the meter was made, closed connections included. */
  readonly totals: TrafficCounts = zero()

  of(connectionId: string): TrafficCounts | undefined {
    return this.byConnection.get(connectionId)
  }

  private wrapConnection(connection: Connection): Connection {
    const counts = zero()
    const totals = this.totals
    this.byConnection.set(connection.id, counts)
    const forget = Effect.sync(() => {
      this.byConnection.delete(connection.id)
    })
    const sent = (frame: Uint8Array): void => {
      counts.framesOut++
      counts.bytesOut += frame.byteLength
      totals.framesOut++
      totals.bytesOut += frame.byteLength
    }
    const received = (frames: number, bytes: number): void => {
      counts.framesIn += frames
      counts.bytesIn += bytes
      counts.lastIn = Date.now()
      totals.framesIn += frames
      totals.bytesIn += bytes
    }
    const take = connection.takeFrames
    return {
      id: connection.id,
      direction: connection.direction,
      local: connection.local,
      remote: connection.remote,
      peerCertificate: connection.peerCertificate,
      peerId: connection.peerId,
      send: (frame) => Effect.tap(connection.send(frame), () => sent(frame)),
      unsafeOffer: (frame) => {
        const accepted = connection.unsafeOffer(frame)
        if (accepted) sent(frame)
        return accepted
      },
      frames: connection.frames.pipe(
        Stream.mapChunks((chunk) => {
          let bytes = 0
          for (const frame of chunk) bytes += frame.byteLength
          received(Chunk.size(chunk), bytes)
          return chunk
        }),
        Stream.ensuring(forget)
      ),
      takeFrames: take === undefined ? undefined : Effect.tap(take, (frames) => {
        let bytes = 0
        for (const frame of frames) bytes += frame.byteLength
        received(frames.length, bytes)
      }),
      deliverTo: (consumer) =>
        connection.deliverTo({
          onFrame: (frame) => {
            received(1, frame.byteLength)
            return consumer.onFrame(frame)
          },
          onEnd: consumer.onEnd
        }),
      close: connection.close,
      closed: Effect.tap(connection.closed, () => forget),
      ping: connection.ping
    }
  }

  /** `transport` with every dialed and accepted connection counted. */
  wrap(transport: TransportShape): TransportShape {
    return {
      dial: (address, options) => Effect.map(transport.dial(address, options), (c) => this.wrapConnection(c)),
      listen: (options) =>
        Effect.map(transport.listen(options), (listener) => ({
          address: listener.address,
          connections: Stream.map(listener.connections, (c) => this.wrapConnection(c))
        }))
    }
  }
}
