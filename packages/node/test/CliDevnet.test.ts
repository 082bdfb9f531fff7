/**
 * `peerwire devnet` as a real process: an introducer and five nodes on 127.0.0.1 find each other (every node at its
 * outbound target or connected to every other, one connected graph), the table names who dials whom, and SIGINT stops
 * them all with exit 0 after each member has written its address book.
 */
import { afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { BUILD_TIMEOUT_MS, buildOnce, killAll, spawnCli, tempDir } from "./CliSupport.js"

const NODES = 5

beforeAll(buildOnce, BUILD_TIMEOUT_MS)
afterEach(killAll)

describe("peerwire devnet", () => {
  it("five nodes reach their targets through the introducer; SIGINT stops everything with exit 0", async () => {
    const root = tempDir("devnet")
    const cli = spawnCli(["devnet", "--nodes", String(NODES), "--data-dir", root, "--interval", "1"])
    const announced = /devnet: introducer wss:\/\/127\.0\.0\.1:(\d+)\/ws, 5 nodes on ports ([\d, ]+),/
    const header = await cli.waitFor(announced, 60_000)
    const ports = header[2]!.split(", ").map(Number)
    expect(ports).toHaveLength(NODES)
    await cli.waitFor(/devnet: every node at target after [\d.]+ s/, 120_000)
    // The next table printed after convergence: five node rows with their outbound peers by name, and the summary.
    await cli.waitFor(/devnet: every node at target[\s\S]*devnet: 5\/5 at target, \d+ links, 0 bans, connected/, 10_000)
    const lastTable = cli.stderr().slice(cli.stderr().lastIndexOf("member  "))
    for (let i = 1; i <= NODES; i++) {
      const row = new RegExp(`^node-${i} +${ports[i - 1]} +[0-9a-f]{8} +(\\d+) +(\\d+) .*$`, "m").exec(lastTable)
      expect(row).not.toBeNull()
      expect(Number(row![1]) + Number(row![2])).toBeGreaterThan(0)
    }
    expect(lastTable).toMatch(/^node-\d +\d+ +[0-9a-f]{8} +[1-9]\d* .*node-\d/m)

    const stopped = await cli.stop("SIGINT", 10_000)
    expect(stopped.code).toBe(0)
    expect(stopped.stderr).toContain("devnet: stopping")
    // Each node wrote its address book at shutdown, with the other members (on 127.0.0.1, told apart by port).
    for (let i = 1; i <= NODES; i++) {
      const book = JSON.parse(readFileSync(join(root, `node-${i}`, "db/peers.json"), "utf8")) as {
        readonly entries: ReadonlyArray<{ readonly address: { readonly host: string; readonly port: number } }>
      }
      const known = book.entries.map((e) => e.address.port).filter((p) => p !== ports[i - 1])
      expect(known.length).toBeGreaterThan(0)
      for (const port of known) expect(ports).toContain(port)
    }
  }, 180_000)
})
