/**
 * `peerwire start` as a real process: init, start on free loopback ports, RPC through `peerwire rpc`, stop_node and
 * signals (exit 0, files written), two nodes connected with `--peer`, JSON logs.
 */
import { afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import {
  BUILD_TIMEOUT_MS,
  buildOnce,
  eventually,
  freePort,
  killAll,
  rpc,
  runCli,
  setPorts,
  spawnCli,
  tempDir
} from "./CliSupport.js"

const STARTUP_MS = 20_000

beforeAll(buildOnce, BUILD_TIMEOUT_MS)
afterEach(killAll)

/** `peerwire init` then ports set in its config.yaml. */
const initNode = async (name: string) => {
  const dir = join(tempDir(name), "data")
  const init = await runCli(["init", "--data-dir", dir, "--network", "clitest"])
  expect(init.code).toBe(0)
  const nodeId = /node id ([0-9a-f]{64})/.exec(init.stdout)?.[1]
  expect(nodeId).toBeDefined()
  const p2p = await freePort()
  const rpcPort = await freePort()
  setPorts(dir, p2p, rpcPort)
  return { dir, nodeId: nodeId!, p2p, rpcPort }
}

interface Connection {
  readonly type: number
  readonly node_id: string
  readonly peer_port: number
  readonly peer_server_port: number
}

const connectionsOf = async (dir: string): Promise<ReadonlyArray<Connection>> => {
  const answer = await rpc(dir, "get_connections")
  expect(answer.code).toBe(0)
  return (answer.json?.["connections"] ?? []) as ReadonlyArray<Connection>
}

describe("peerwire start", () => {
  it("init → start → rpc get_connections → rpc stop_node: exit 0, address book and bans written", async () => {
    const node = await initNode("start")
    const peers = join(node.dir, "db/peers.json")
    const bans = join(node.dir, "db/bans.json")
    const cli = spawnCli(["start", "--data-dir", node.dir, "--no-discovery", "--status-interval", "0.5"])
    await cli.waitFor(/RPC listening on https:\/\/127\.0\.0\.1:\d+/, STARTUP_MS)
    expect(cli.stdout()).toContain(`P2P listening on wss://0.0.0.0:${node.p2p}/ws`)
    expect(cli.stdout()).toContain(`RPC listening on https://127.0.0.1:${node.rpcPort}`)
    expect(cli.stdout()).toContain(`node id ${node.nodeId}`)
    // Non-TTY: periodic status log lines with the numbers.
    await cli.waitFor(/INFO +status addresses=0 bans=0 .*peers_in=0 peers_out=0/, 5_000)

    const connections = await rpc(node.dir, "get_connections")
    expect(connections.code).toBe(0)
    expect(connections.json).toEqual({ connections: [], success: true })
    const network = await rpc(node.dir, "get_network_info")
    expect(network.json).toMatchObject({ network_name: "clitest", network_prefix: "txch", success: true })

    const stop = await rpc(node.dir, "stop_node")
    expect(stop.code).toBe(0)
    expect(stop.json).toEqual({ success: true })
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))
    const finished = await Promise.race([cli.exited, timeout])
    expect(finished?.code).toBe(0)
    expect(finished?.stderr).toMatch(/stop_node received; stopping[\s\S]*stopped/)
    // Written at shutdown (the periodic writes are minutes apart).
    expect(JSON.parse(readFileSync(peers, "utf8"))).toMatchObject({ entries: [] })
    expect(JSON.parse(readFileSync(bans, "utf8"))).toEqual({ version: 1, bans: [] })
    expect(statSync(peers).mtimeMs).toBeGreaterThan(statSync(join(node.dir, "config/config.yaml")).mtimeMs)
  }, 60_000)

  it("start creates a missing data dir; two nodes connect through --peer; SIGTERM and SIGINT exit 0", async () => {
    const a = await initNode("peer-a")
    // B's data directory does not exist yet: start creates it (port flags, RPC port set after creation below).
    const bDir = join(tempDir("peer-b"), "data")
    const bP2p = await freePort()
    const bRpc = await freePort()
    const nodeA = spawnCli(["start", "--data-dir", a.dir, "--no-discovery", "--network", "clitest"])
    await nodeA.waitFor(/RPC listening/, STARTUP_MS)
    const nodeB = spawnCli([
      "start",
      "--data-dir",
      bDir,
      "--network",
      "clitest",
      "--port",
      String(bP2p),
      "--rpc-port",
      String(bRpc),
      "--no-discovery",
      "--peer",
      `127.0.0.1:${a.p2p}`
    ])
    const bId = (await nodeB.waitFor(/node id ([0-9a-f]{64})/, STARTUP_MS))[1]!
    await nodeB.waitFor(/RPC listening/, STARTUP_MS)
    expect(nodeB.stderr()).toContain(`initialised data directory ${bDir}`)
    expect(statSync(join(bDir, "config/ssl/full_node/public_full_node.crt")).isFile()).toBe(true)

    // A sees B inbound (full node, B's listen port from its handshake).
    const inbound = await eventually(async () => {
      const found = (await connectionsOf(a.dir)).find((c) => c.node_id === `0x${bId}`)
      return found
    }, 20_000, "A lists B")
    expect(inbound).toMatchObject({ type: 1, peer_server_port: bP2p })
    await nodeA.waitFor(/connected inbound 127\.0\.0\.1:\d+ .*purpose=inbound/, 5_000)
    await nodeB.waitFor(new RegExp(`connected outbound 127\\.0\\.0\\.1:${a.p2p} .*purpose=configured`), 5_000)

    const stoppedB = await nodeB.stop("SIGTERM", 5_000)
    expect(stoppedB.code).toBe(0)
    expect(stoppedB.stderr).toMatch(/signal received; stopping[\s\S]*stopped/)
    // A saw B close the connection (1000 from B's side, or 1001 from its listener) and drops it.
    await nodeA.waitFor(/disconnected 127\.0\.0\.1:\d+ code=100[01] initiator=remote/, 5_000)
    const stoppedA = await nodeA.stop("SIGINT", 5_000)
    expect(stoppedA.code).toBe(0)
    expect(stoppedA.ms).toBeLessThan(5_000)
  }, 90_000)

  it("--log-format json writes one JSON object per log line; unknown config keys are warnings", async () => {
    const node = await initNode("json")
    const configFile = join(node.dir, "config/config.yaml")
    const { appendFileSync } = await import("node:fs")
    appendFileSync(configFile, "colour: blue\n")
    const cli = spawnCli(
      ["start", "--data-dir", node.dir, "--no-discovery", "--log-format", "json", "--status-interval", "0.5"]
    )
    await cli.waitFor(/"message":"status"/, STARTUP_MS)
    const stopped = await cli.stop("SIGTERM", 5_000)
    expect(stopped.code).toBe(0)
    const lines = stopped.stderr.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>)
    const warning = lines.find((l) => l["logLevel"] === "WARN")
    expect(warning?.["message"]).toBe(`${configFile}: unknown key "colour" (ignored)`)
    const status = lines.find((l) => l["message"] === "status")
    expect(status?.["annotations"]).toMatchObject({ peers_in: 0, peers_out: 0, bans: 0 })
    expect(lines.at(-1)?.["message"]).toBe("stopped")
  }, 60_000)

  it("introducer: own ports in a new data dir, registers a connecting full node, RPC, SIGTERM", async () => {
    const introDir = join(tempDir("introducer"), "data")
    const init = await runCli(["init", "--data-dir", introDir, "--network", "clitest"])
    expect(init.code).toBe(0)
    const introP2p = await freePort()
    const introRpc = await freePort()
    setPorts(introDir, introP2p, introRpc)
    const introducer = spawnCli(["introducer", "--data-dir", introDir, "--status-interval", "0.5"])
    await introducer.waitFor(/RPC listening/, STARTUP_MS)
    expect(introducer.stdout()).toContain("peerwire introducer on clitest")
    expect(introducer.stdout()).toContain(`P2P listening on wss://0.0.0.0:${introP2p}/ws`)

    const node = await initNode("intro-client")
    const client = spawnCli(["start", "--data-dir", node.dir, "--no-discovery", "--peer", `127.0.0.1:${introP2p}`])
    await client.waitFor(/RPC listening/, STARTUP_MS)
    const registered = await eventually(async () => {
      const found = (await connectionsOf(introDir)).find((c) => c.node_id === `0x${node.nodeId}`)
      return found
    }, 20_000, "the introducer lists the node")
    expect(registered).toMatchObject({ type: 1, peer_server_port: node.p2p })
    // The registered node counts in the introducer's status line.
    await introducer.waitFor(/INFO +status addresses=1 /, 5_000)

    expect((await client.stop("SIGTERM", 5_000)).code).toBe(0)
    expect((await introducer.stop("SIGTERM", 5_000)).code).toBe(0)

    // A data directory the introducer creates gets the introducer's ports (8445, RPC 8556), not the node's.
    const fresh = join(tempDir("introducer-fresh"), "data")
    const created = spawnCli(["introducer", "--data-dir", fresh, "--port", "0", "--rpc-port", "0"])
    await created.waitFor(/RPC listening/, STARTUP_MS)
    const config = readFileSync(join(fresh, "config/config.yaml"), "utf8")
    expect(config).toMatch(/^port: 8445$/m)
    expect(config).toMatch(/^rpc:\n(?:[ #].*\n)*?  port: 8556$/m)
    expect((await created.stop("SIGTERM", 5_000)).code).toBe(0)
  }, 90_000)
})
