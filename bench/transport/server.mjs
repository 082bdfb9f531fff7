// Benchmark server process: `node server.mjs ours|ours-take|ours-push|raw`. Sink mode counts frames then answers ACK; echo mode echoes.
import * as https from "node:https"
import { Effect, Exit, FiberSet, Scope, Stream } from "effect"
import { WebSocketServer } from "ws"
import * as WebSocketTransport from "../../packages/transport/dist/WebSocketTransport.js"
import {
  ACK,
  HIGH_WATER_MARK,
  MAX_FRAME_SIZE,
  MODE_SINK,
  memory,
  offerOrSend,
  rawServerTls,
  readControl,
  serve
} from "./common.mjs"

const impl = process.argv[2]
let connections = 0

/** CPU µs this process spent on the last measured case: from its control frame to its last frame. */
let lastCaseCpuUs = 0

/**
 * Per-connection frame handler shared by every implementation: returns what to send back, if anything. The control
 * frame says how many frames the case has, so the CPU of exactly the measured part is recorded (not TLS and upgrade).
 */
const handler = () => {
  let mode = 0
  let remaining = 0
  let cpuStart
  const done = () => {
    const used = process.cpuUsage(cpuStart)
    lastCaseCpuUs = used.user + used.system
  }
  return (frame) => {
    if (mode === 0) {
      ;({ mode, count: remaining } = readControl(frame))
      cpuStart = process.cpuUsage()
      if (remaining === 0) done()
      return mode === MODE_SINK && remaining === 0 ? ACK : undefined
    }
    if (--remaining === 0) done()
    if (mode === MODE_SINK) return remaining === 0 ? ACK : undefined
    return frame
  }
}

/** `reader: false` accepts connections without reading them (the transport's own cost, no consumer fiber). */
const startOurs = async (tls, reader) => {
  const scope = Effect.runSync(Scope.make())
  const transport = WebSocketTransport.make()
  const serveConnection = (connection) => {
    const onFrame = handler()
    const onFrameEffect = (frame) => {
      const reply = onFrame(frame)
      return reply === undefined ? Effect.void : connection.send(reply)
    }
    if (impl === "ours-push") {
      // Push mode (what the peer layer reads with): frames come straight from the socket event, replies go out with
      // `unsafeOffer`; only when that refuses (back-pressure) does a fiber send, with delivery paused meanwhile. No
      // fiber per connection otherwise.
      return Effect.sync(() => {
        let delivery
        const onFrameSync = (frame) => {
          const reply = onFrame(frame)
          return reply === undefined || offerOrSend(connection, reply, () => delivery)
        }
        delivery = Effect.runSync(connection.deliverTo({ onFrame: onFrameSync, onEnd: () => {} }))
      })
    }
    if (impl === "ours-take") {
      // The batch API (what the peer layer's reader loop uses): one Effect wake-up per batch, no Stream.
      let open = true
      const body = () =>
        Effect.flatMap(connection.takeFrames, (frames) => {
          if (frames.length === 0) open = false
          return Effect.forEach(frames, onFrameEffect, { discard: true })
        })
      return Effect.whileLoop({ while: () => open, body, step: () => {} }).pipe(Effect.ignore)
    }
    return Stream.runForEach(connection.frames, onFrameEffect).pipe(Effect.ignore)
  }
  const port = await Effect.runPromise(Effect.gen(function*() {
    const fibers = yield* FiberSet.make()
    const listener = yield* transport.listen({ host: "127.0.0.1", port: 0, tls, maxFrameSize: MAX_FRAME_SIZE, highWaterMark: HIGH_WATER_MARK })
    yield* Effect.forkIn(
      Stream.runForEach(listener.connections, (connection) => {
        connections++
        if (!reader) return Effect.void
        return impl === "ours-push" ? serveConnection(connection) : FiberSet.run(fibers, serveConnection(connection))
      }),
      scope
    )
    return listener.address.port
  }).pipe(Scope.extend(scope)))
  return { port, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const startRaw = async (tls) => {
  const server = https.createServer(rawServerTls(tls))
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: MAX_FRAME_SIZE, clientTracking: false })
  wss.on("connection", (ws) => {
    connections++
    const onFrame = handler()
    ws.on("message", (data) => {
      const reply = onFrame(data)
      if (reply !== undefined) ws.send(reply)
    })
    ws.on("error", () => {})
  })
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: server.address().port,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(resolve)
    })
  }
}

let running
serve({
  start: async ({ tls, reader = true }) => {
    running = impl.startsWith("ours") ? await startOurs(tls, reader) : await startRaw(tls)
    return { port: running.port }
  },
  memory: async () => ({ ...memory(), connections }),
  lastCaseCpu: async () => ({ cpuUs: lastCaseCpuUs }),
  stop: async () => {
    await running?.stop()
    setImmediate(() => process.exit(0))
    return {}
  }
})
