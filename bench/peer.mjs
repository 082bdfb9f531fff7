// Peer benchmark: request/response round trips per second through codec + peer + wss (mutual TLS), with 1 and 64
// requests in flight, against a raw `ws` echo with the same TLS and bufferutil, measured in the same run. Each server
// runs in its own child process (this file, forked with --server); both clients run here.
// Run after `npx tsc -b`:  node bench/peer.mjs [--quick] [--repeats N]
//
// The peer server is a Chia full node that answers request_block with reject_block; the raw server echoes every frame
// back unchanged. Rate limits are off on both peer sides (exemptFromRateLimits), as for a localhost peer. A third
// column runs the same echo through WebSocketTransport alone (push delivery and `unsafeOffer`, the paths the peer
// uses), so peer/transport isolates what this package adds. Rates are medians of interleaved runs; the machine is
// often shared, so the CPU time per round trip of each process (client here, server in its child) is printed too.
import { fork } from "node:child_process"
import * as os from "node:os"
import https from "node:https"
import { fileURLToPath } from "node:url"
import { Effect, Stream } from "effect"
import WebSocket, { WebSocketServer } from "ws"
import * as Certificates from "../packages/transport/dist/Certificates.js"
import * as WebSocketTransport from "../packages/transport/dist/WebSocketTransport.js"
import { Transport } from "../packages/transport/dist/Transport.js"
import { encodeMessage } from "../packages/codec/dist/chia/Catalogue.js"
import { ChiaPeer, NodeType } from "../packages/peer/dist/index.js"
import { offerOrSend } from "./transport/common.mjs"

const self = fileURLToPath(import.meta.url)
const REQUEST = { height: 1, include_transaction_block: false }
const peerOptions = (tls) => ({
  networkId: "mainnet",
  nodeType: NodeType.FULL_NODE,
  tls,
  config: { exemptFromRateLimits: true }
})

// ---- servers (child processes) -------------------------------------------------------------------------------------

const rawServer = (tls) =>
  new Promise((resolve) => {
    const server = https.createServer({
      key: tls.identity.privateKeyPem,
      cert: tls.identity.certificatePem,
      ca: tls.verify.caPem,
      requestCert: true,
      rejectUnauthorized: true
    })
    const wss = new WebSocketServer({ server, path: WebSocketTransport.WEBSOCKET_PATH, maxPayload: 50 * 1024 * 1024 })
    wss.on("connection", (ws) => ws.on("message", (data) => ws.send(data, { binary: true })))
    server.listen(0, "127.0.0.1", () => resolve(server.address().port))
  })

const peerServer = (tls) =>
  new Promise((resolve) => {
    const program = Effect.gen(function*() {
      const transport = yield* Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0, tls })
      resolve(listener.address.port)
      const serve = (connection) =>
        Effect.scoped(Effect.flatMap(
          ChiaPeer.accept(connection, {
            ...peerOptions(tls),
            serverPort: listener.address.port,
            handlers: { request_block: ({ height }) => Effect.succeed({ name: "reject_block", payload: { height } }) }
          }),
          (peer) => peer.closed
        )).pipe(Effect.ignore)
      yield* Stream.runForEach(listener.connections, (c) => Effect.fork(serve(c)))
    })
    Effect.runFork(Effect.scoped(program).pipe(Effect.provide(WebSocketTransport.layer)))
  })


// ---- clients -------------------------------------------------------------------------------------------------------

function rawRoundTrips(address, tls, count, inFlight) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${address.port}${WebSocketTransport.WEBSOCKET_PATH}`, {
      key: tls.identity.privateKeyPem,
      cert: tls.identity.certificatePem,
      rejectUnauthorized: false
    })
    let sent = 0
    let received = 0
    let started = 0
    // The same bytes the peer client sends: a request_block envelope with an id, encoded per request.
    const send = () => ws.send(encodeMessage("request_block", REQUEST, sent++ & 0x7fff).right, { binary: true })
    ws.on("open", () => {
      started = performance.now()
      for (let i = 0; i < Math.min(inFlight, count); i++) send()
    })
    ws.on("message", () => {
      received++
      if (received === count) {
        const ms = performance.now() - started
        ws.close()
        resolve(ms)
      } else if (sent < count) send()
    })
    ws.on("error", reject)
  })
}

const peerRoundTrips = (address, tls, count, inFlight) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const peer = yield* ChiaPeer.connect(address, peerOptions(tls))
    let issued = 0
    const worker = Effect.whileLoop({
      while: () => issued < count,
      body: () => {
        issued++
        return peer.request("request_block", REQUEST)
      },
      step: () => {}
    })
    const started = performance.now()
    yield* Effect.all(Array.from({ length: inFlight }, () => worker), { concurrency: "unbounded", discard: true })
    const ms = performance.now() - started
    yield* peer.close()
    return ms
  })).pipe(Effect.provide(WebSocketTransport.layer)))

const transportRoundTrips = (address, tls, count, inFlight) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* Transport
    const connection = yield* transport.dial(address, { tls })
    let sent = 0
    let received = 0
    const frame = () => encodeMessage("request_block", REQUEST, sent++ & 0x7fff).right
    const started = performance.now()
    while (sent < Math.min(inFlight, count)) yield* connection.send(frame())
    // Push mode, as the peer reads: the next request goes out from the socket event with `unsafeOffer`.
    yield* Effect.async((done) => {
      let delivery
      const onFrame = () => {
        if (++received === count) {
          done(Effect.void)
          return false
        }
        if (sent >= count) return true
        return offerOrSend(connection, frame(), () => delivery)
      }
      delivery = Effect.runSync(connection.deliverTo({ onFrame, onEnd: () => done(Effect.die("ended early")) }))
    })
    return performance.now() - started
  })).pipe(Effect.provide(WebSocketTransport.layer)))

async function main() {
  const quick = process.argv.includes("--quick")
  const repeatsAt = process.argv.indexOf("--repeats")
  const repeats = repeatsAt > 0 ? Number(process.argv[repeatsAt + 1]) : quick ? 1 : 3
  const tls = await Effect.runPromise(Effect.gen(function*() {
    const ca = yield* Certificates.generateCa()
    const [server, client] = yield* Effect.all([
      Certificates.generateNodeCertificate(ca),
      Certificates.generateNodeCertificate(ca)
    ])
    const verify = { _tag: "RequireCa", caPem: [ca.certificatePem] }
    return { server: { identity: server, verify }, client: { identity: client, verify } }
  }))
  const start = (impl) =>
    new Promise((resolve) => {
      const child = fork(self, ["--server"], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
      child.once("message", ({ port }) => resolve({ child, address: { host: "127.0.0.1", port } }))
      child.setMaxListeners(0)
      child.send({ type: "start", impl, tls: tls.server })
    })
  const running = { peer: await start("peer"), transport: await start("transport"), raw: await start("raw") }
  const run = { peer: peerRoundTrips, transport: transportRoundTrips, raw: rawRoundTrips }
  const impls = ["peer", "transport", "raw"]
  const cases = [
    { name: "1 in flight", inFlight: 1, count: quick ? 3_000 : 20_000 },
    { name: "64 in flight", inFlight: 64, count: quick ? 20_000 : 200_000 }
  ]
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const cpuMicros = (usage) => usage.user + usage.system
  const serverCpu = (child) =>
    new Promise((resolve) => {
      child.once("message", ({ cpu }) => resolve(cpuMicros(cpu)))
      child.send({ type: "cpu" })
    })
  // One measured run: wall ms, and CPU µs of this process (client) and of the server's process.
  const measure = async (impl, c) => {
    const server0 = await serverCpu(running[impl].child)
    const client0 = process.cpuUsage()
    const ms = await run[impl](running[impl].address, tls.client, c.count, c.inFlight)
    const client = cpuMicros(process.cpuUsage(client0))
    const server = (await serverCpu(running[impl].child)) - server0
    return { ms, client, server }
  }
  const fmt = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d })
  console.log(
    `peer bench: request_block → reject_block over wss + mutual TLS, ${repeats} interleaved run(s) per case ` +
      `(medians; load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores)`
  )
  console.log(
    `${"case".padEnd(16)}${"peer rt/s".padEnd(12)}${"transport".padEnd(12)}${"raw ws".padEnd(12)}` +
      `${"peer/transport".padEnd(16)}${"transport/raw".padEnd(15)}${"peer/raw".padEnd(10)}${"goal".padEnd(14)}` +
      `cpu µs per round trip peer/transport/raw: client; server   peer/raw per run`
  )
  try {
    for (const c of cases) {
      const runs = { peer: [], transport: [], raw: [] }
      for (const impl of impls) await run[impl](running[impl].address, tls.client, Math.ceil(c.count / 5), c.inFlight)
      for (let r = 0; r < repeats; r++) {
        for (const impl of impls) runs[impl].push(await measure(impl, c))
      }
      const rate = (impl) => c.count / (median(runs[impl].map((r) => r.ms)) / 1000)
      const cpu = (side) => impls.map((impl) => fmt(median(runs[impl].map((r) => r[side])) / c.count, 2)).join("/")
      const ratio = rate("peer") / rate("raw")
      console.log(
        `${c.name.padEnd(16)}${fmt(rate("peer")).padEnd(12)}${fmt(rate("transport")).padEnd(12)}` +
          `${fmt(rate("raw")).padEnd(12)}${fmt(rate("peer") / rate("transport"), 2).padEnd(16)}` +
          `${fmt(rate("transport") / rate("raw"), 2).padEnd(15)}${fmt(ratio, 2).padEnd(10)}` +
          `${(ratio >= 0.7 ? "ok" : "BELOW") + " (≥0.7)"}`.padEnd(14) +
          `${cpu("client")}; ${cpu("server")}`.padEnd(46) +
          // Each run of the peer against the raw run of the same repeat (interleaved), to show the spread.
          runs.peer.map((run, i) => fmt(runs.raw[i].ms / run.ms, 2)).join(" ")
      )
    }
  } finally {
    for (const { child } of Object.values(running)) child.send({ type: "stop" })
  }
}

const transportServer = (tls) =>
  new Promise((resolve) => {
    const program = Effect.gen(function*() {
      const transport = yield* Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0, tls })
      resolve(listener.address.port)
      // Echo in push mode: each frame goes back from the socket event with `unsafeOffer`, or through `send` (with
      // delivery paused) when that refuses.
      const echo = (c) =>
        Effect.async((done) => {
          let delivery
          const onFrame = (frame) => {
            // The pushed frame may share memory with its neighbours; the copy goes to the transport.
            return offerOrSend(c, frame.slice(), () => delivery)
          }
          delivery = Effect.runSync(c.deliverTo({ onFrame, onEnd: () => done(Effect.void) }))
        })
      yield* Stream.runForEach(listener.connections, (c) => Effect.fork(echo(c)))
    })
    Effect.runFork(Effect.scoped(program).pipe(Effect.provide(WebSocketTransport.layer)))
  })

const servers = { raw: rawServer, peer: peerServer, transport: transportServer }

if (process.argv[2] === "--server") {
  // Dies with the parent, whatever happens to it.
  process.on("disconnect", () => process.exit(0))
  process.on("message", async (message) => {
    if (message.type === "start") {
      const port = await servers[message.impl](message.tls)
      process.send({ port })
    } else if (message.type === "cpu") {
      process.send({ cpu: process.cpuUsage() })
    } else process.exit(0)
  })
} else {
  await main()
}
