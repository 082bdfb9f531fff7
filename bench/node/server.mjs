// Node benchmark server process: `node --expose-gc server.mjs ours|raw`.
//   ours: a real peerwire full node (`launch` of `peerwire start`: data directory, config, wss with the public
//         certificate and the Chia-CA check, peer manager, discovery off, RPC on) with its inbound caps raised.
//   raw:  a `ws` server on `https` with the same TLS (client certificate required, Chia CA) that only holds
//         connections.
import * as https from "node:https"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { WebSocketServer } from "ws"
import * as Config from "../../packages/node/dist/Config.js"
import * as DataDir from "../../packages/node/dist/DataDir.js"
import { launch } from "../../packages/node/dist/internal/launchNode.js"
import { prepare } from "../../packages/node/dist/internal/prepareNode.js"
import { memory, rawServerTls, serve } from "../transport/common.mjs"

const impl = process.argv[2]
const CAP = 100_000

let scope
let connectionCount = () => 0
let cleanup = () => {}

const startOurs = async () => {
  const dir = mkdtempSync(join(tmpdir(), "peerwire-bench-node-"))
  cleanup = () => rmSync(dir, { recursive: true, force: true })
  await Effect.runPromise(DataDir.ensure(dir, { network: "benchnet" }))
  const config = Config.renderDefault({ network: "benchnet", port: 0 })
    .replace(/^listen_host: .*$/m, "listen_host: 127.0.0.1")
    .replace(/^  enabled: true$/m, "  enabled: false")
    .replace(/^  max_wallets: \d+$/m, `  max_wallets: ${CAP}`)
    .replace(/^(rpc:\n(?:[ #].*\n)*?  port: )\d+$/m, "$10")
    .replace(/^  level: info$/m, "  level: warning")
  writeFileSync(DataDir.paths(dir).configFile, config)
  scope = Effect.runSync(Scope.make())
  const node = await Effect.runPromise(Effect.gen(function*() {
    const prepared = yield* prepare("full_node", dir, {})
    return yield* launch(prepared, { version: "bench", peerManager: { maxInboundConnections: CAP } })
  }).pipe(Scope.extend(scope)))
  connectionCount = () => Effect.runSync(node.manager.connections).length
  return node.listening.port
}

const startRaw = async (tls) => {
  const server = https.createServer(rawServerTls(tls))
  const wss = new WebSocketServer({ server, path: "/ws", maxPayload: 50 * 1024 * 1024 })
  let open = 0
  wss.on("connection", (socket) => {
    open++
    socket.on("message", () => {})
    socket.on("close", () => open--)
  })
  connectionCount = () => open
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  cleanup = () => {
    for (const client of wss.clients) client.terminate()
    server.close()
  }
  return server.address().port
}

serve({
  start: async ({ tls }) => ({ port: impl === "ours" ? await startOurs() : await startRaw(tls) }),
  memory: async () => memory(),
  connections: async () => connectionCount(),
  cpu: async () => process.cpuUsage(),
  stop: async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    cleanup()
    setImmediate(() => process.exit(0))
    return true
  }
})
