// Node benchmark: one peerwire full node (as `peerwire start` runs it) holding 1000 authenticated inbound peers (wss
// with a Chia-CA-signed certificate each, then the Chia handshake as wallets) opened from a second process, against a
// raw `ws` server with the same TLS holding 1000 plain connections, in the same run. Servers and clients are separate
// processes. Run after `npx tsc -b`:  node bench/node.mjs [--peers N] [--quick]
//
// Prints, ours against raw: memory per peer (RSS, and V8 heap + external after GC), time to accept all peers, and idle
// CPU of the server over a fixed window with every peer connected.
import { fork } from "node:child_process"
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from "node:crypto"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
// The transport re-exports @peculiar/x509 after the Reflect polyfill its tsyringe dependency needs.
import * as x509 from "../packages/transport/dist/internal/certificatesX509.js"
import { Effect } from "effect"
import * as Certificates from "../packages/transport/dist/Certificates.js"
import { client } from "./transport/common.mjs"

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback
}
const quick = process.argv.includes("--quick")
const PEERS = argValue("--peers", quick ? 200 : 1000)
const IDLE_SECONDS = argValue("--idle", quick ? 3 : 10)
/** Handshakes in flight from the client process. */
const CONCURRENCY = 50
const ACCEPT_TIMEOUT_MS = 120_000
const here = (file) => fileURLToPath(new URL(`./node/${file}`, import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const spawn = (script, args, execArgv = []) => {
  const child = fork(here(script), args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] })
  return { child, call: client(child) }
}

/**
 * `count` certificates signed by the public Chia CA, one RSA key shared by all (each certificate still has its own
 * serial, so its own DER and node id): generating 1000 RSA keys would take minutes and measure nothing.
 */
const clientIdentities = async (ca, count) => {
  const crypto = webcrypto
  x509.cryptoProvider.set(crypto)
  const caDer = createPrivateKey(ca.privateKeyPem).export({ type: "pkcs8", format: "der" })
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
  const caKey = await crypto.subtle.importKey("pkcs8", caDer, algorithm, false, ["sign"])
  const caCertificate = new x509.X509Certificate(ca.certificatePem)
  const keys = await crypto.subtle.generateKey(
    { ...algorithm, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"]
  )
  const privateKeyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString()
  const out = []
  for (let i = 0; i < count; i++) {
    const serial = randomBytes(20)
    serial[0] &= 0x7f
    const certificate = await x509.X509CertificateGenerator.create({
      subject: "CN=Chia, O=Chia, OU=Organic Farming Division",
      issuer: caCertificate.subjectName,
      publicKey: keys.publicKey,
      signingKey: caKey,
      serialNumber: serial.toString("hex"),
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date("2100-08-02T00:00:00Z"),
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "chia.net" }], false)]
    }, crypto)
    out.push({ certificatePem: certificate.toString("pem") + "\n", privateKeyPem })
  }
  return out
}

const cpuMicros = (usage) => usage.user + usage.system

const measure = async (impl, clients, identities, serverTls, caPem) => {
  const server = spawn("server.mjs", [impl], ["--expose-gc"])
  try {
    const { port } = await server.call("start", { tls: serverTls })
    await sleep(500)
    const before = await server.call("memory")
    const opened = await clients.call("open", {
      impl: impl === "ours" ? "chia" : "raw",
      address: { host: "127.0.0.1", port },
      identities,
      caPem,
      network: "benchnet",
      concurrency: CONCURRENCY
    })
    const deadline = Date.now() + ACCEPT_TIMEOUT_MS
    let held = await server.call("connections")
    while (held < identities.length && Date.now() < deadline) {
      await sleep(100)
      held = await server.call("connections")
    }
    if (held < identities.length) throw new Error(`${impl}: only ${held} of ${identities.length} connections held`)
    await sleep(1000)
    const after = await server.call("memory")
    const cpu0 = await server.call("cpu")
    await sleep(IDLE_SECONDS * 1000)
    const cpu1 = await server.call("cpu")
    held = await server.call("connections")
    await clients.call("close")
    return {
      acceptMs: opened.ms,
      rssPerPeer: (after.rss - before.rss) / identities.length,
      heapPerPeer: (after.heapUsed + after.external - before.heapUsed - before.external) / identities.length,
      idleCpuPercent: (cpuMicros(cpu1) - cpuMicros(cpu0)) / (IDLE_SECONDS * 1e6) * 100,
      heldAtEnd: held
    }
  } finally {
    await server.call("stop").catch(() => undefined)
  }
}

const main = async () => {
  const { ca, serverIdentity } = await Effect.runPromise(Effect.gen(function*() {
    const ca = yield* Certificates.chiaCa
    return { ca, serverIdentity: yield* Certificates.generateNodeCertificate(ca) }
  }))
  const began = performance.now()
  const identities = await clientIdentities(ca, PEERS)
  const seconds = ((performance.now() - began) / 1000).toFixed(1)
  console.log(`${PEERS} client certificates signed by the Chia CA in ${seconds} s`)
  const serverTls = { identity: serverIdentity, verify: { _tag: "RequireCa", caPem: [ca.certificatePem] } }
  const clients = spawn("clients.mjs", [])
  const results = {}
  try {
    // Raw first, then ours, each against a fresh server process; the client process is shared.
    for (const impl of ["raw", "ours"]) {
      results[impl] = await measure(impl, clients, identities, serverTls, ca.certificatePem)
    }
  } finally {
    await clients.call("exit").catch(() => undefined)
  }
  const kib = (bytes) => (bytes / 1024).toFixed(1)
  const { ours, raw } = results
  const rows = [
    ["memory per peer, RSS (KiB)", kib(ours.rssPerPeer), kib(raw.rssPerPeer), ours.rssPerPeer / raw.rssPerPeer],
    [
      "memory per peer, heap+external after GC (KiB)",
      kib(ours.heapPerPeer),
      kib(raw.heapPerPeer),
      ours.heapPerPeer / raw.heapPerPeer
    ],
    [
      `time to accept ${PEERS} peers (ms, ${CONCURRENCY} in flight)`,
      ours.acceptMs.toFixed(0),
      raw.acceptMs.toFixed(0),
      ours.acceptMs / raw.acceptMs
    ],
    [
      `idle CPU over ${IDLE_SECONDS} s (% of one core)`,
      ours.idleCpuPercent.toFixed(2),
      raw.idleCpuPercent.toFixed(2),
      ours.idleCpuPercent / Math.max(raw.idleCpuPercent, 0.01)
    ],
    ["connections held at the end", String(ours.heldAtEnd), String(raw.heldAtEnd), ours.heldAtEnd / raw.heldAtEnd]
  ]
  console.log(`\nnode benchmark: ${PEERS} inbound peers · ${os.cpus().length} CPUs · node ${process.version}`)
  console.log("  ours = peerwire full node (wss, Chia-CA check, Chia handshake as wallets, peer runtime, RPC on)")
  console.log("  raw  = ws server, same TLS, no protocol\n")
  const header = ["metric", "ours", "raw ws", "ours/raw"]
  const table = [header, ...rows.map(([name, ours, raw, ratio]) => [name, ours, raw, `${ratio.toFixed(2)}x`])]
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)))
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join("  "))
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "))
  }
}

await main()
