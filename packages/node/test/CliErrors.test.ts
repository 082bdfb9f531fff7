/**
 * What the real `peerwire` process says when it cannot do what it was asked: one line on stderr and exit code 1 for a
 * bad config, a port in use (P2P or RPC), an unreadable certificate, a data directory without permission, bad flags and
 * bad RPC input. And `--help` for every command.
 */
import { afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { join } from "node:path"
import {
  BUILD_TIMEOUT_MS,
  buildOnce,
  freePort,
  killAll,
  rpc,
  runCli,
  setPorts,
  spawnCli,
  tempDir
} from "./CliSupport.js"

beforeAll(buildOnce, BUILD_TIMEOUT_MS)
afterEach(killAll)

const servers: Array<Server> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

/** Occupies a port on all interfaces (as another program would). */
const occupy = (port: number, host = "0.0.0.0") =>
  new Promise<void>((resolve, reject) => {
    const server = createServer()
    servers.push(server)
    server.once("error", reject)
    server.listen(port, host, () => resolve())
  })

const initNode = async (name: string) => {
  const dir = join(tempDir(name), "data")
  expect((await runCli(["init", "--data-dir", dir])).code).toBe(0)
  const p2p = await freePort()
  const rpcPort = await freePort()
  setPorts(dir, p2p, rpcPort)
  return { dir, p2p, rpcPort }
}

/** Exit code 1 and exactly one stderr line, which matches `pattern`. */
const expectOneLineFailure = (result: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) => {
  expect(result.code).toBe(1)
  const lines = result.stderr.trim().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  expect(lines[0]).toMatch(pattern)
}

describe("peerwire start: clear errors", () => {
  it("an invalid config value names the key; a YAML syntax error names the file", async () => {
    const node = await initNode("bad-config")
    const file = join(node.dir, "config/config.yaml")
    writeFileSync(file, readFileSync(file, "utf8").replace(/^  request_timeout: \d+$/m, "  request_timeout: -5"))
    expectOneLineFailure(await runCli(["start", "--data-dir", node.dir]), /config\.yaml: timeouts\.request_timeout: /)
    writeFileSync(file, "port: [1\n")
    expectOneLineFailure(await runCli(["start", "--data-dir", node.dir]), /config\.yaml: .*line \d+/)
  }, 60_000)

  it("a P2P port in use and an RPC port in use", async () => {
    const node = await initNode("ports")
    await occupy(node.p2p)
    expectOneLineFailure(
      await runCli(["start", "--data-dir", node.dir, "--no-discovery"]),
      new RegExp(`^error: P2P port ${node.p2p} is in use \\(0\\.0\\.0\\.0:${node.p2p}\\)`)
    )
    const other = await freePort()
    await occupy(node.rpcPort, "127.0.0.1")
    expectOneLineFailure(
      await runCli(["start", "--data-dir", node.dir, "--no-discovery", "--port", String(other)]),
      new RegExp(`^error: RPC port ${node.rpcPort} is in use \\(127\\.0\\.0\\.1:${node.rpcPort}\\)`)
    )
  }, 60_000)

  it("an unreadable certificate and a data directory without permission", async () => {
    const node = await initNode("cert")
    const certificate = join(node.dir, "config/ssl/full_node/public_full_node.crt")
    writeFileSync(certificate, "not a certificate\n")
    expectOneLineFailure(await runCli(["start", "--data-dir", node.dir]), /public_full_node\.crt/)

    // A directory the process may not write into. Root may write anywhere, so as root the child runs as `nobody`.
    const parent = tempDir("no-permission")
    const locked = join(parent, "locked")
    mkdirSync(locked, { mode: 0o555 })
    chmodSync(parent, 0o755)
    const asRoot = process.getuid?.() === 0
    const result = await runCli(
      ["start", "--data-dir", join(locked, "data")],
      30_000,
      asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: "/tmp" } } : {}
    )
    expectOneLineFailure(result, /cannot create data directory .*locked\/data: permission denied \(EACCES\)/)
  }, 60_000)

  it("bad flags: --peer, --port, --nodes", async () => {
    const node = await initNode("flags")
    expectOneLineFailure(
      await runCli(["start", "--data-dir", node.dir, "--peer", "nohost"]),
      /--peer "nohost": expected HOST:PORT/
    )
    expectOneLineFailure(await runCli(["start", "--data-dir", node.dir, "--port", "70000"]), /--port 70000/)
    expectOneLineFailure(await runCli(["devnet", "--nodes", "0"]), /--nodes 0: expected 1\.\.\d+/)
  }, 60_000)
})

describe("peerwire rpc against a running node: bad input", () => {
  it("invalid JSON, non-object parameters, missing and mistyped parameters, an unknown command", async () => {
    const node = await initNode("rpc-input")
    const cli = spawnCli(["start", "--data-dir", node.dir, "--no-discovery"])
    await cli.waitFor(/RPC listening/, 20_000)

    expectOneLineFailure(await rpc(node.dir, "get_connections", "{not json"), /invalid JSON/)
    expectOneLineFailure(await rpc(node.dir, "get_connections", "[1]"), /must be a JSON object/)
    const missing = await rpc(node.dir, "open_connection", "{}")
    expectOneLineFailure(missing, /^error: open_connection: .*host/)
    expect(missing.json?.["success"]).toBe(false)
    expectOneLineFailure(await rpc(node.dir, "open_connection", '{"host": "127.0.0.1", "port": "x"}'), /port/)
    expectOneLineFailure(await rpc(node.dir, "close_connection", '{"node_id": "0x00"}'), /node_id/)
    expectOneLineFailure(await rpc(node.dir, "no_such_command"), /no_such_command/)
    // A dial that fails is a failure too, naming the address.
    const closed = await freePort()
    expectOneLineFailure(
      await rpc(node.dir, "open_connection", JSON.stringify({ host: "127.0.0.1", port: closed })),
      new RegExp(`could not connect to 127\\.0\\.0\\.1:${closed}`)
    )
    // The node is still there.
    expect((await rpc(node.dir, "healthz")).code).toBe(0)
    expect((await cli.stop("SIGTERM", 5_000)).code).toBe(0)
  }, 90_000)

  it("no node running: one line naming the address", async () => {
    const node = await initNode("rpc-down")
    expectOneLineFailure(
      await rpc(node.dir, "get_connections"),
      new RegExp(`no node is running at 127\\.0\\.0\\.1:${node.rpcPort}`)
    )
  }, 30_000)
})

describe("--help", () => {
  const commands = ["start", "introducer", "devnet", "init", "rpc", "decode", "encode"]
  it.each(commands)("peerwire %s --help", async (command) => {
    const result = await runCli([command, "--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("USAGE")
    expect(result.stdout).toContain(command)
  }, 30_000)
})
