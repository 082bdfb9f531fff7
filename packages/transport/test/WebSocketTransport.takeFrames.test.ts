// `Connection.takeFrames` (the batch API) on real ws connections, and `frameBatches` with and without it.
import { assert, describe, expect, it } from "@effect/vitest"
import type { Connection } from "@peerwire/transport/Transport"
import { frameBatches, TransportError } from "@peerwire/transport/Transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"
import { Chunk, Duration, Effect, Exit, Fiber, Option, Stream } from "effect"
import type { WebSocketConnection } from "../src/internal/websocketConnection.js"

const transport = WebSocketTransport.make()
const LOOPBACK = "127.0.0.1"

const pair = (inboundHighWaterMark?: number) =>
  Effect.gen(function*() {
    const listen = inboundHighWaterMark === undefined ? transport : WebSocketTransport.make({ inboundHighWaterMark })
    const listener = yield* listen.listen({ host: LOOPBACK, port: 0 })
    const client = yield* transport.dial(listener.address)
    const server = yield* Stream.runHead(listener.connections).pipe(
      Effect.flatMap(Effect.orDie),
      Effect.timeout("5 seconds"),
      Effect.orDie
    )
    return { client, server }
  })

const within = <A, E, R>(self: Effect.Effect<A, E, R>, duration: Duration.DurationInput = "5 seconds") =>
  self.pipe(
    Effect.timeoutFail({ duration, onTimeout: () => new Error(`did not finish within ${String(duration)}`) }),
    Effect.orDie
  )

const indexFrame = (i: number) => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setUint32(0, i)
  return out
}
const indexOf = (frame: Uint8Array) => new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0)

/** Takes batches until `count` frames have arrived (bounded by `count` reads); returns them in order. */
const takeCount = (take: Effect.Effect<ReadonlyArray<Uint8Array>, TransportError>, count: number) =>
  Effect.gen(function*() {
    const frames: Array<Uint8Array> = []
    for (let reads = 0; reads < count && frames.length < count; reads++) {
      const batch = yield* take
      assert(batch.length > 0, "a batch is never empty while the connection is open")
      frames.push(...batch)
    }
    return frames
  })

describe("Connection.takeFrames (ws)", () => {
  it.scopedLive("batches arrive in order, then [] on every read after a clean close", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair()
      const take = server.takeFrames
      assert(take !== undefined)
      const total = 500
      const indices = Array.from({ length: total }, (_, i) => i)
      yield* Effect.forEach(indices, (i) => client.send(indexFrame(i)), { discard: true })
      const frames = yield* within(takeCount(take, total))
      expect(frames.map(indexOf)).toEqual(indices)
      yield* client.close(1000, "bye")
      expect(yield* within(take)).toEqual([])
      expect(yield* within(take)).toEqual([])
    }))

  it.scopedLive("fails with the TransportError that ended the connection", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair()
      const take = server.takeFrames
      assert(take !== undefined)
      ;(client as WebSocketConnection).terminate()
      const exit = yield* within(Effect.exit(take))
      assert(Exit.isFailure(exit) && exit.cause._tag === "Fail")
      expect(exit.cause.error.reason).toBe("ConnectionLost")
    }))

  it.scopedLive("a read interrupted while waiting loses nothing; the next read gets the frame", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair()
      const take = server.takeFrames
      assert(take !== undefined)
      for (let i = 0; i < 3; i++) {
        expect(Option.isNone(yield* Effect.timeoutOption(take, "20 millis"))).toBe(true)
      }
      yield* client.send(indexFrame(7))
      const batch = yield* within(take)
      expect(batch.map(indexOf)).toEqual([7])
    }))

  it.scopedLive("shares the buffer with `frames`: a Stream reader first, then batches, in order", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair()
      const take = server.takeFrames
      assert(take !== undefined)
      yield* client.send(indexFrame(0))
      const first = yield* within(Stream.runHead(server.frames))
      expect(indexOf(Option.getOrThrow(first))).toBe(0)
      yield* Effect.forEach([1, 2, 3], (i) => client.send(indexFrame(i)), { discard: true })
      const rest = yield* within(takeCount(take, 3))
      expect(rest.map(indexOf)).toEqual([1, 2, 3])
    }))

  it.scopedLive("taking frames resumes a socket paused by the inbound high-water mark", () =>
    Effect.gen(function*() {
      const frameSize = 16 * 1024
      const { client, server } = yield* pair(64 * 1024)
      const take = server.takeFrames
      assert(take !== undefined)
      const total = 64
      const sender = yield* Effect.fork(Effect.forEach(
        Array.from({ length: total }, () => new Uint8Array(frameSize)),
        (frame) => client.send(frame),
        { discard: true }
      ))
      // Bounded wait for the pause (at most 100 polls).
      for (let poll = 0; poll < 100 && !(server as WebSocketConnection).isReadingPaused; poll++) {
        yield* Effect.sleep("10 millis")
      }
      expect((server as WebSocketConnection).isReadingPaused).toBe(true)
      const frames = yield* within(takeCount(take, total), "20 seconds")
      expect(frames.length).toBe(total)
      yield* within(Fiber.join(sender))
      expect((server as WebSocketConnection).isReadingPaused).toBe(false)
    }), 30_000)
})

describe("frameBatches", () => {
  it.scopedLive("uses takeFrames when the connection has it", () =>
    Effect.gen(function*() {
      const { client, server } = yield* pair()
      const next = yield* frameBatches(server)
      expect(next).toBe(server.takeFrames)
      yield* client.send(indexFrame(1))
      expect((yield* within(next)).map(indexOf)).toEqual([1])
    }))

  it.scoped("falls back on `frames`: skips empty chunks, [] at the end, fails with the stream's error", () =>
    Effect.gen(function*() {
      const a = indexFrame(1)
      const b = indexFrame(2)
      const c = indexFrame(3)
      const chunks = Stream.fromChunks(Chunk.of(a), Chunk.empty(), Chunk.make(b, c))
      const base: Pick<Connection, "frames"> = { frames: chunks }
      const next = yield* frameBatches(base as Connection)
      expect(yield* next).toEqual([a])
      expect(yield* next).toEqual([b, c])
      expect(yield* next).toEqual([])
      expect(yield* next).toEqual([])

      const error = new TransportError({ reason: "ConnectionLost", message: "gone" })
      const failing: Pick<Connection, "frames"> = { frames: Stream.concat(Stream.make(a), Stream.fail(error)) }
      const pull = yield* frameBatches(failing as Connection)
      expect(yield* pull).toEqual([a])
      const exit = yield* Effect.exit(pull)
      assert(Exit.isFailure(exit) && exit.cause._tag === "Fail")
      expect(exit.cause.error).toBe(error)
    }))
})
