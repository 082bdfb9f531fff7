// Benchmark client process: `node client.mjs ours|raw`. Runs one measured case per request on a fresh connection.
import { performance } from "node:perf_hooks"
import { Effect, Stream } from "effect"
import WebSocket from "ws"
import * as WebSocketTransport from "../../packages/transport/dist/WebSocketTransport.js"
import { controlFrame, HIGH_WATER_MARK, MAX_FRAME_SIZE, MODE_ECHO, MODE_SINK, rawClientTls, serve } from "./common.mjs"

const impl = process.argv[2]
const transport = WebSocketTransport.make()

const payload = (size) => {
  const frame = new Uint8Array(size)
  for (let i = 0; i < size; i++) frame[i] = i & 0xff
  return frame
}

// --- through the Transport API ---------------------------------------------------------------------------------

const oursSink = (address, tls, size, count) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const connection = yield* transport.dial(address, { tls, maxFrameSize: MAX_FRAME_SIZE, highWaterMark: HIGH_WATER_MARK })
    const frame = payload(size)
    yield* connection.send(controlFrame(MODE_SINK, count))
    const start = performance.now()
    let sent = 0
    yield* Effect.whileLoop({ while: () => sent < count, body: () => connection.send(frame), step: () => sent++ })
    yield* Stream.runHead(connection.frames)
    return performance.now() - start
  })))

const oursEcho = (address, tls, size, count, inFlight) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const connection = yield* transport.dial(address, { tls, maxFrameSize: MAX_FRAME_SIZE, highWaterMark: HIGH_WATER_MARK })
    const frame = payload(size)
    yield* connection.send(controlFrame(MODE_ECHO, 0))
    const start = performance.now()
    let sent = 0
    for (; sent < inFlight; sent++) yield* connection.send(frame)
    yield* Stream.runForEach(Stream.take(connection.frames, count), () => {
      if (sent >= count) return Effect.void
      sent++
      return connection.send(frame)
    })
    return performance.now() - start
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
  const start = performance.now()
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
  const elapsed = performance.now() - start
  await rawClose(ws)
  return elapsed
}

const rawEcho = async (address, tls, size, count, inFlight) => {
  const ws = await rawOpen(address, tls)
  const frame = payload(size)
  ws.send(controlFrame(MODE_ECHO, 0))
  const start = performance.now()
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
  const elapsed = performance.now() - start
  ws.removeAllListeners("message")
  await rawClose(ws)
  return elapsed
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

/** Wall time of the measured part and this process's CPU time over the whole case (connect and close included). */
const measured = async (run) => {
  const cpu = process.cpuUsage()
  const ms = await run()
  const used = process.cpuUsage(cpu)
  return { ms, cpuUs: used.user + used.system }
}

serve({
  sink: ({ address, tls, size, count }) =>
    measured(() => (impl === "ours" ? oursSink : rawSink)(address, tls, size, count)),
  echo: ({ address, tls, size, count, inFlight }) =>
    measured(() => (impl === "ours" ? oursEcho : rawEcho)(address, tls, size, count, inFlight)),
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
