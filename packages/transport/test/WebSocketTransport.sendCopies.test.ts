// `send` on the accepting side of a plain ws connection: its frames are not masked, so `ws` hands the caller's bytes to
// the socket, and under back-pressure the kernel takes part of a write while the rest waits. The caller may reuse its
// buffer once `send` returns, so the transport must have copied it (before the fix: frames 47, 101, 175, … corrupted).
import { expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import * as WebSocketTransport from "../src/WebSocketTransport.js"

const fill = (b: Uint8Array, seq: number) => {
  new DataView(b.buffer, b.byteOffset).setUint32(0, seq)
  for (let i = 4; i < b.length; i++) b[i] = (seq + i) & 0xff
  return b
}
const intact = (f: Uint8Array, seq: number) => {
  if (new DataView(f.buffer, f.byteOffset).getUint32(0) !== seq) return false
  for (let i = 4; i < f.length; i++) if (f[i] !== ((seq + i) & 0xff)) return false
  return true
}

it.scopedLive("ws server send keeps the caller's bytes under back-pressure (one buffer reused)", () =>
  Effect.gen(function*() {
    const transport = WebSocketTransport.make()
    const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 })
    const client = yield* transport.dial(listener.address)
    const server = Option.getOrThrow(yield* Stream.runHead(listener.connections).pipe(Effect.timeout("5 seconds")))
    const size = 80 * 1024 // over CORK_MAX_FRAME: written at once, uncorked
    const total = 512 // 40 MiB, more than the kernel and the client's inbox hold
    const buffer = new Uint8Array(size)
    const writer = yield* Effect.fork(Effect.forEach(Array.from({ length: total }, (_, i) => i), (seq) =>
      Effect.suspend(() => server.send(fill(buffer, seq))), { discard: true }))
    yield* Effect.sleep("1 second") // the client reads nothing meanwhile: the kernel buffers fill up
    const frames = Chunk.toReadonlyArray(
      yield* Stream.runCollect(Stream.take(client.frames, total)).pipe(Effect.timeout("20 seconds"))
    )
    yield* Fiber.join(writer)
    expect(frames.flatMap((f, seq) => intact(f, seq) ? [] : [seq])).toEqual([])
  }), 60_000)
