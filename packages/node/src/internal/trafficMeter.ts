/**
 * Counts frames and bytes per connection by wrapping a `Transport`: the peer layer keeps no byte counters, and the
 * RPC's `get_connections` (bytes_read, bytes_written, last_message_time) and the status line and devnet table (message
 * rates) need them. Counting costs a few additions per message (`observeConnection`).
 */
import { Effect, Stream } from "effect"
import { type Connection, observeConnection, type TransportShape } from "@peerwire/transport"

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
    return observeConnection(connection, {
      sent: (frame) => {
        counts.framesOut++
        counts.bytesOut += frame.byteLength
        totals.framesOut++
        totals.bytesOut += frame.byteLength
      },
      received: (frame) => {
        counts.framesIn++
        counts.bytesIn += frame.byteLength
        counts.lastIn = Date.now()
        totals.framesIn++
        totals.bytesIn += frame.byteLength
      },
      ended: () => {
        this.byConnection.delete(connection.id)
      }
    })
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
