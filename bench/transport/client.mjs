// Benchmark client process: `node client.mjs ours|ours-take|ours-push|raw`. Runs one measured case per request on a fresh connection.
import { performance } from "node:perf_hooks"
import { Effect, Stream } from "effect"
import WebSocket from "ws"
import * as WebSocketTransport from "../../packages/transport/dist/WebSocketTransport.js"
import {
  controlFrame,
  HIGH_WATER_MARK,
  MAX_FRAME_SIZE,
  MODE_ECHO,
  MODE_SINK,
  offerOrSend,
  rawClientTls,
  serve
} from "./common.mjs"

const impl = process.argv[2]
const transport = WebSocketTransport.make()

const payload = (size) => {
  const frame = new Uint8Array(size)
  for (let i = 0; i < size; i++) frame[i] = i & 0xff
  return frame
}

/** Wall time and this process's CPU time of the measured part only (not the TLS handshake, upgrade or close). */
const startMeasure = () => ({ wall: performance.now(), cpu: process.cpuUsage() })
const endMeasure = (start) => {
  const ms = performance.now() - start.wall
  const used = process.cpuUsage(start.cpu)
  return { ms, cpuUs: used.user + used.system }
}

// --- through the Transport API ---------------------------------------------------------------------------------

// `ours` reads through the `frames` Stream (what most Effect code writes); `ours-take` through `takeFrames`, the batch
// API the peer layer's reader loop uses. Both send with `connection.send`.
const batches = impl === "ours-take"
const push = impl === "ours-push"

/** Waits for the next inbound frame (the sink's ACK). */
const nextFrame = (connection) =>
  batches || push ? Effect.asVoid(connection.takeFrames) : Effect.asVoid(Stream.runHead(connection.frames))

/**
 * Push mode: `onFrame(frame)` returns a frame to send or undefined, synchronously in the socket event; sends go out
 * with `unsafeOffer`, or through a fiber with delivery paused when it refuses. Completes after `count` frames.
 */
const pushRun = (connection, count, onFrame) =>
  Effect.async((resume) => {
    let received = 0
    let delivery
    const onFrameSync = (frame) => {
      if (++received === count) {
        resume(Effect.void)
        return false
      }
      const next = onFrame(frame)
      return next === undefined || offerOrSend(connection, next, () => delivery)
    }
    delivery = Effect.runSync(connection.deliverTo({
      onFrame: onFrameSync,
      onEnd: () => resume(Effect.die(new Error("connection ended early")))
    }))
  })

const oursSink = (address, tls, size, count) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const connection = yield* transport.dial(address, { tls, maxFrameSize: MAX_FRAME_SIZE, highWaterMark: HIGH_WATER_MARK })
    const frame = payload(size)
    yield* connection.send(controlFrame(MODE_SINK, count))
    const start = startMeasure()
    let sent = 0
    if (push) {
      // The usual loop over a synchronous write: offer until refused, then wait in `send` (back-pressure).
      yield* Effect.whileLoop({
        while: () => sent < count,
        body: () => {
          while (sent < count && connection.unsafeOffer(frame)) sent++
          return sent < count ? Effect.tap(connection.send(frame), () => sent++) : Effect.void
        },
        step: () => {}
      })
    } else {
      yield* Effect.whileLoop({ while: () => sent < count, body: () => connection.send(frame), step: () => sent++ })
    }
    yield* nextFrame(connection)
    return endMeasure(start)
  })))

const oursEcho = (address, tls, size, count, inFlight) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const connection = yield* transport.dial(address, { tls, maxFrameSize: MAX_FRAME_SIZE, highWaterMark: HIGH_WATER_MARK })
    const frame = payload(size)
    yield* connection.send(controlFrame(MODE_ECHO, count))
    const start = startMeasure()
    let sent = 0
    for (; sent < inFlight; sent++) yield* connection.send(frame)
    const onReply = () => {
      if (sent >= count) return Effect.void
      sent++
      return connection.send(frame)
    }
    if (push) {
      yield* pushRun(connection, count, () => {
        if (sent >= count) return undefined
        sent++
        return frame
      })
    } else if (batches) {
      let received = 0
      yield* Effect.whileLoop({
        while: () => received < count,
        body: () => Effect.flatMap(connection.takeFrames, (frames) => {
          if (frames.length === 0) return Effect.die(new Error("connection ended early"))
          received += frames.length
          return Effect.forEach(frames, onReply, { discard: true })
        }),
        step: () => {}
      })
    } else {
      yield* Stream.runForEach(Stream.take(connection.frames, count), onReply)
    }
    return endMeasure(start)
  })))

// --- raw ws, same TLS, same bufferutil ------------------------------------------------------------------------------

const rawOpen = (address, tls) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${address.host}:${address.port}/ws`, {
      ...rawClientTls(tls),
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_SIZE
    })
    ws.once("open", () => resolve(ws))
    ws.once("error", reject)
  })

const rawClose = (ws) =>
  new Promise((resolve) => {
    ws.once("close", resolve)
    ws.close(1000)
  })

const rawSink = async (address, tls, size, count) => {
  const ws = await rawOpen(address, tls)
  const frame = payload(size)
  ws.send(controlFrame(MODE_SINK, count))
  const start = startMeasure()
  await new Promise((resolve) => {
    ws.once("message", resolve)
    let sent = 0
    // The usual raw loop: write until the socket buffer passes the mark, continue on `drain`.
    const pump = () => {
      while (sent < count) {
        ws.send(frame)
        sent++
        if (ws.bufferedAmount > HIGH_WATER_MARK) return void ws._socket.once("drain", pump)
      }
    }
    pump()
  })
  const result = endMeasure(start)
  await rawClose(ws)
  return result
}

const rawEcho = async (address, tls, size, count, inFlight) => {
  const ws = await rawOpen(address, tls)
  const frame = payload(size)
  ws.send(controlFrame(MODE_ECHO, count))
  const start = startMeasure()
  await new Promise((resolve) => {
    let sent = 0
    let received = 0
    ws.on("message", () => {
      if (++received === count) return resolve()
      if (sent < count) {
        sent++
        ws.send(frame)
      }
    })
    for (; sent < inFlight; sent++) ws.send(frame)
  })
  const result = endMeasure(start)
  ws.removeAllListeners("message")
  await rawClose(ws)
  return result
}

// --- idle connections for the memory measurement (raw clients for both servers) ------------------------------------

let idle = []
const openIdle = async (address, tls, count) => {
  const concurrency = 25
  for (let i = 0; i < count; i += concurrency) {
    const batch = await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, () => rawOpen(address, tls)))
    idle.push(...batch)
  }
  return { open: idle.length }
}

serve({
  sink: ({ address, tls, size, count }) =>
    (impl === "raw" ? rawSink : oursSink)(address, tls, size, count),
  echo: ({ address, tls, size, count, inFlight }) =>
    (impl === "raw" ? rawEcho : oursEcho)(address, tls, size, count, inFlight),
  openIdle: ({ address, tls, count }) => openIdle(address, tls, count),
  closeIdle: async () => {
    for (const ws of idle) ws.terminate()
    idle = []
    return {}
  },
  exit: async () => {
    setImmediate(() => process.exit(0))
    return {}
  }
})
