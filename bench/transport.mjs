// Transport benchmark: WebSocketTransport (wss, mutual TLS) against raw `ws` with the same TLS and bufferutil, in one
// run. Servers and clients are separate processes. Run after `npx tsc -b`:
//   node bench/transport.mjs [--quick] [--repeats N] [--case <text>] [--no-memory]
//
// Prints one-way throughput (64 B, 1 KiB, 16 KiB, 1 MiB frames), echo round trips/s (1 and 64 in flight) and memory
// per idle wss connection (1000 connections, measured in the server process), each with the ratio ours/raw.
// "ours" reads with the `frames` Stream, "take" with `Connection.takeFrames` (the batch API the peer layer reads
// with); both send with `connection.send`. Raw `ws` is written as its users write it: a `message` listener that
// answers with `ws.send`, a send loop that waits for `drain` past the same high-water mark.
//
// The machine this runs on is often loaded, so wall-clock rates are noisy; the CPU time per frame (both processes,
// `process.cpuUsage`, over the measured part only: from the case's control frame to its last frame) is the steadier
// figure.
import { fork } from "node:child_process"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import * as Certificates from "../packages/transport/dist/Certificates.js"
import { client } from "./transport/common.mjs"

const quick = process.argv.includes("--quick")
/** `--flag value` from the command line. */
const option = (flag) => {
  const index = process.argv.indexOf(flag)
  return index < 0 ? undefined : process.argv[index + 1]
}
const scale = quick ? 0.25 : 1
const REPEATS = Number(option("--repeats") ?? (quick ? 1 : 3))
const WARMUPS = quick ? 1 : 3
const IMPLS = ["ours", "ours-take", "ours-push", "raw"]
/** `--case <text>`: only the cases whose name contains it; `--no-memory`: skip the idle-connection measurement. */
const CASE_FILTER = option("--case")
const IDLE_CONNECTIONS = 1000
const here = (file) => fileURLToPath(new URL(`./transport/${file}`, import.meta.url))

// Counts sized for roughly half a second per run on 2 cores.
const CASES = [
  { name: "one-way 64 B", kind: "sink", size: 64, count: 80_000 },
  { name: "one-way 1 KiB", kind: "sink", size: 1024, count: 60_000 },
  { name: "one-way 16 KiB", kind: "sink", size: 16 * 1024, count: 10_000 },
  { name: "one-way 1 MiB", kind: "sink", size: 1024 * 1024, count: 250 },
  { name: "echo 64 B, 1 in flight", kind: "echo", size: 64, count: 4_000, inFlight: 1 },
  { name: "echo 64 B, 64 in flight", kind: "echo", size: 64, count: 50_000, inFlight: 64 }
]

const spawn = (script, impl, execArgv = []) => {
  const child = fork(here(script), [impl], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] })
  return { child, call: client(child) }
}

const tlsPair = await Effect.runPromise(Effect.gen(function*() {
  const ca = yield* Certificates.generateCa()
  const server = yield* Certificates.generateNodeCertificate(ca)
  const dialer = yield* Certificates.generateNodeCertificate(ca)
  const verify = { _tag: "RequireCa", caPem: [ca.certificatePem] }
  return { server: { identity: server, verify }, client: { identity: dialer, verify } }
}))

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const startPair = async (impl, serverArgv = [], reader = true, dialerImpl = impl) => {
  const server = spawn("server.mjs", impl, serverArgv)
  const dialer = spawn("client.mjs", dialerImpl)
  const { port } = await server.call("start", { tls: tlsPair.server, reader })
  return { impl, server, dialer, address: { host: "127.0.0.1", port } }
}

const stopPair = async (pair) => {
  await Promise.allSettled([pair.dialer.call("exit"), pair.server.call("stop")])
}

/** One run: wall time of the measured part, CPU µs of the client and of the server process over that part. */
const runCase = async (pair, c, count) => {
  const { ms, cpuUs } = await pair.dialer.call(c.kind, {
    address: pair.address,
    tls: tlsPair.client,
    size: c.size,
    count,
    inFlight: c.inFlight
  })
  const server = await pair.server.call("lastCaseCpu")
  return { ms, clientCpuUs: cpuUs, serverCpuUs: server.cpuUs }
}

const throughput = async () => {
  const pairs = {}
  for (const impl of IMPLS) pairs[impl] = await startPair(impl)
  const rows = []
  try {
    for (const c of CASES.filter((c) => CASE_FILTER === undefined || c.name.includes(CASE_FILTER))) {
      const count = Math.max(1, Math.round(c.count * scale))
      const runs = Object.fromEntries(IMPLS.map((impl) => [impl, []]))
      // Warm-up, interleaved and with the full count: Effect's many call sites take tens of thousands of frames before
      // the JIT has them optimised (CPU per frame still falls by half after the first 20,000 echoes), so steady state
      // is what is compared; raw ws gets the same warm-up.
      for (let w = 0; w < WARMUPS; w++) for (const impl of IMPLS) await runCase(pairs[impl], c, count)
      // Interleaved, so that a noisy neighbour hits every implementation alike.
      for (let r = 0; r < REPEATS; r++) {
        for (const impl of IMPLS) runs[impl].push(await runCase(pairs[impl], c, count))
      }
      const rate = (impl) => {
        const seconds = Math.min(...runs[impl].map((run) => run.ms)) / 1000
        return {
          framesPerSecond: count / seconds,
          mbPerSecond: (count * c.size) / seconds / 1e6,
          serverCpuNs: (median(runs[impl].map((run) => run.serverCpuUs)) * 1000) / count,
          clientCpuNs: (median(runs[impl].map((run) => run.clientCpuUs)) * 1000) / count
        }
      }
      const row = { case: c.name, ours: rate("ours"), take: rate("ours-take"), push: rate("ours-push"), raw: rate("raw") }
      rows.push(row)
      printRow(row, c.kind)
    }
  } finally {
    for (const impl of IMPLS) if (pairs[impl] !== undefined) await stopPair(pairs[impl])
  }
  return rows
}

/** Idle connections are opened by raw `ws` clients in both cases; only the server process differs. */
const idleMemory = async (impl, reader = true) => {
  const pair = await startPair(impl, ["--expose-gc"], reader, "raw")
  try {
    const before = await pair.server.call("memory")
    await pair.dialer.call("openIdle", { address: pair.address, tls: tlsPair.client, count: IDLE_CONNECTIONS })
    // Let the last handshakes settle on the server side.
    let after = await pair.server.call("memory")
    for (let i = 0; i < 50 && after.connections < IDLE_CONNECTIONS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      after = await pair.server.call("memory")
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    after = await pair.server.call("memory")
    await pair.dialer.call("closeIdle")
    return {
      connections: after.connections,
      rss: (after.rss - before.rss) / IDLE_CONNECTIONS,
      heap: (after.heapUsed - before.heapUsed) / IDLE_CONNECTIONS,
      external: (after.external - before.external) / IDLE_CONNECTIONS
    }
  } finally {
    await stopPair(pair)
  }
}

const pad = (s, n) => String(s).padEnd(n)
const num = (x, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const printHeader = () => {
  console.log(
    `${pad("case", 25)}${pad("raw fr/s", 11)}${pad("raw MB/s", 10)}${pad("stream/raw", 11)}${pad("take/raw", 9)}` +
      `${pad("push/raw", 9)}${pad("goal (push)", 14)}cpu ns/frame stream/take/push/raw: server; client`
  )
}

const printRow = (row, kind) => {
  const ratio = (impl) => row[impl].framesPerSecond / row.raw.framesPerSecond
  const goal = row.case === "one-way 1 MiB" ? 0.9 : kind === "echo" ? 0.8 : undefined
  const verdict = goal === undefined ? "" : `${ratio("push") >= goal ? "ok" : "BELOW"} (≥${goal})`
  const cpu = (side) => ["ours", "take", "push", "raw"].map((impl) => num(row[impl][side])).join("/")
  console.log(
    `${pad(row.case, 25)}${pad(num(row.raw.framesPerSecond), 11)}${pad(num(row.raw.mbPerSecond, 1), 10)}` +
      `${pad(num(ratio("ours"), 2), 11)}${pad(num(ratio("take"), 2), 9)}${pad(num(ratio("push"), 2), 9)}` +
      `${pad(verdict, 14)}${cpu("serverCpuNs")}; ${cpu("clientCpuNs")}`
  )
}

const started = Date.now()
console.log(
  `transport bench: wss + mutual TLS, server and client in separate processes; rates: best of ${REPEATS} interleaved ` +
    `runs; cpu: median per frame (load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores)`
)
printHeader()
await throughput()
if (process.argv.includes("--no-memory")) process.exit(0)
const ours = await idleMemory("ours")
const take = await idleMemory("ours-take")
const push = await idleMemory("ours-push")
const bare = await idleMemory("ours", false)
const raw = await idleMemory("raw")
console.log(`\nidle wss connections (${IDLE_CONNECTIONS}, server process, after gc), bytes per connection:`)
console.log(`${pad("", 38)}${pad("rss", 12)}${pad("heapUsed", 12)}${pad("external", 10)}accepted`)
const memoryRows = [
  ["ours, a Stream reader per connection", ours],
  ["ours, a takeFrames reader loop", take],
  ["ours, a push consumer (deliverTo)", push],
  ["ours, connections not read", bare],
  ["raw ws, a message listener", raw]
]
for (const [name, m] of memoryRows) {
  console.log(`${pad(name, 38)}${pad(num(m.rss), 12)}${pad(num(m.heap), 12)}${pad(num(m.external), 10)}${m.connections}`)
}
console.log(
  `ours/raw: rss ${num(ours.rss / raw.rss, 2)}, heap ${num(ours.heap / raw.heap, 2)} (Stream reader); ` +
    `rss ${num(take.rss / raw.rss, 2)}, heap ${num(take.heap / raw.heap, 2)} (takeFrames reader); ` +
    `rss ${num(push.rss / raw.rss, 2)}, heap ${num(push.heap / raw.heap, 2)} (push consumer); ` +
    `rss ${num(bare.rss / raw.rss, 2)}, heap ${num(bare.heap / raw.heap, 2)} (transport only)`
)
console.log(`total ${num((Date.now() - started) / 1000, 1)} s`)
