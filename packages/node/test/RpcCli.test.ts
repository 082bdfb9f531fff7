/** `peerwire rpc` through the root command, in process, against a real RPC server on a loopback port. */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CliFailure, run } from "../src/cli/index.js"
import * as DataDir from "../src/DataDir.js"
import * as Rpc from "../src/Rpc.js"

let base: string
let out: Array<string> = []

beforeAll(async () => {
  base = join(mkdtempSync(join(tmpdir(), "peerwire-rpccli-")), "root")
  await Effect.runPromise(DataDir.ensure(base))
})

beforeEach(() => {
  out = []
  vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => void out.push(args.join(" ")))
})

afterEach(() => {
  vi.restoreAllMocks()
})

const peerwire = (...args: Array<string>) => run(["node", "peerwire", ...args]).pipe(Effect.provide(NodeContext.layer))

const dataDirWithPort = (port: number): string => {
  const dir = join(mkdtempSync(join(tmpdir(), "peerwire-rpccli-dir-")), "root")
  cpSync(base, dir, { recursive: true })
  const configFile = DataDir.paths(dir).configFile
  writeFileSync(configFile, readFileSync(configFile, "utf8").replace(/port: 8555/, `port: ${port}`))
  return dir
}

const opened: Array<string> = []
const control: Rpc.NodeControlShape = {
  connections: Effect.succeed([]),
  openConnection: (host, port) => Effect.sync(() => void opened.push(`${host}:${port}`)),
  closeConnection: () => Effect.succeed(false),
  stop: Effect.void,
  networkName: "mainnet",
  networkPrefix: "xch",
  version: "1.2.3",
  bans: Effect.succeed([]),
  ban: () => Effect.succeed(true),
  unban: () => Effect.succeed(false)
}

const startServer = Effect.gen(function* () {
  const tls = yield* Rpc.tlsFromDataDir(base)
  const server = yield* Rpc.serve({ port: 0, tls, handlers: Rpc.handlers(control) })
  return dataDirWithPort(server.port)
})

const message = (error: unknown) => (error instanceof CliFailure ? error.message : `not a CliFailure: ${String(error)}`)

describe("peerwire rpc", () => {
  it.scoped("prints the JSON answer; the port comes from the data dir's config.yaml", () =>
    Effect.gen(function* () {
      const dir = yield* startServer
      yield* peerwire("rpc", "get_network_info", "--data-dir", dir)
      expect(JSON.parse(out.join("\n"))).toEqual({ success: true, network_name: "mainnet", network_prefix: "xch" })
      out = []
      const params = JSON.stringify({ host: "10.1.2.3", port: 8444 })
      yield* peerwire("rpc", "--data-dir", dir, "--compact", "open_connection", params)
      expect(out).toEqual(["{\"success\":true}"])
      expect(opened).toContain("10.1.2.3:8444")
    }))

  it.scoped("exits with a one-line error when the answer has success: false (the answer still printed)", () =>
    Effect.gen(function* () {
      const dir = yield* startServer
      const params = JSON.stringify({ host: "10.1.2.3" })
      const failed = yield* Effect.flip(peerwire("rpc", "open_connection", params, "--data-dir", dir))
      expect(message(failed)).toBe("open_connection: port: is missing")
      expect(JSON.parse(out.join("\n"))["success"]).toBe(false)
      const unknown = yield* Effect.flip(peerwire("rpc", "nope", "--data-dir", dir))
      expect(message(unknown)).toBe("nope: unknown command \"nope\" (get_routes lists them)")
      const notObject = yield* Effect.flip(peerwire("rpc", "ban", "[1]", "--data-dir", dir))
      expect(message(notObject)).toBe("the parameters must be a JSON object, e.g. '{\"host\": \"1.2.3.4\"}'")
      const badJson = yield* Effect.flip(peerwire("rpc", "ban", "{x", "--data-dir", dir))
      expect(message(badJson)).toMatch(/^invalid JSON: /)
    }))

  it.effect("says no node is running when nothing listens at the configured port", () =>
    Effect.gen(function* () {
      const port = yield* Effect.async<number>((resume) => {
        const server = createServer()
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const bound = typeof address === "object" && address !== null ? address.port : 0
          server.close(() => resume(Effect.succeed(bound)))
        })
      })
      const dir = dataDirWithPort(port)
      const error = yield* Effect.flip(peerwire("rpc", "healthz", "--data-dir", dir))
      expect(message(error)).toBe(`no node is running at 127.0.0.1:${port} (data dir ${dir})`)
      expect(out).toEqual([])
    }))
})
