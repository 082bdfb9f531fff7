import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, TestClock } from "effect"
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { createServer as createHttpsServer } from "node:https"
import { createServer as createNetServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DataDir from "../src/DataDir.js"
import * as Rpc from "../src/Rpc.js"
import * as RpcClient from "../src/RpcClient.js"

let base: string
let otherDir: string

beforeAll(async () => {
  const temp = mkdtempSync(join(tmpdir(), "peerwire-rpcclient-"))
  base = join(temp, "base")
  otherDir = join(temp, "other")
  await Effect.runPromise(Effect.zip(DataDir.ensure(base), DataDir.ensure(otherDir), { concurrent: true }))
})

/** A copy of the initialised data directory whose config.yaml sets `rpc.port`. */
const dataDirWithPort = (port: number): string => {
  const dir = join(mkdtempSync(join(tmpdir(), "peerwire-rpcclient-dir-")), "root")
  cpSync(base, dir, { recursive: true })
  const configFile = DataDir.paths(dir).configFile
  writeFileSync(configFile, readFileSync(configFile, "utf8").replace(/port: 8555/, `port: ${port}`))
  return dir
}

const control: Rpc.NodeControlShape = {
  connections: Effect.succeed([]),
  openConnection: () => Effect.void,
  closeConnection: () => Effect.succeed(false),
  stop: Effect.void,
  networkName: "mainnet",
  networkPrefix: "xch",
  version: "9.9.9",
  bans: Effect.succeed([]),
  ban: () => Effect.succeed(true),
  unban: () => Effect.succeed(false)
}

const serveFrom = (dir: string) =>
  Effect.gen(function* () {
    const tls = yield* Rpc.tlsFromDataDir(dir)
    return yield* Rpc.serve({ port: 0, tls, handlers: Rpc.handlers(control) })
  })

/** A loopback port nobody listens on (bound, then released). */
const freePort = Effect.async<number>((resume) => {
  const server = createNetServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** An HTTPS server with the data dir's RPC certificates that answers with `respond` (or never). */
const rawServer = (dir: string, respond: ((res: import("node:http").ServerResponse) => void) | undefined) =>
  Effect.gen(function* () {
    const tls = yield* Rpc.tlsFromDataDir(dir)
    const arrived = yield* Deferred.make<void>()
    const server = createHttpsServer({
      cert: tls.identity.certificatePem,
      key: tls.identity.privateKeyPem,
      ca: [...tls.caPem],
      requestCert: true,
      rejectUnauthorized: true
    }, (_req, res) => {
      Deferred.unsafeDone(arrived, Effect.void)
      if (respond !== undefined) respond(res)
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
        })
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return { port, arrived }
  })

describe("RpcClient", () => {
  it.scoped("calls a node with the data dir's daemon certificate, the port from config.yaml", () =>
    Effect.gen(function* () {
      const server = yield* serveFrom(base)
      const dir = dataDirWithPort(server.port)
      const options = yield* RpcClient.fromDataDir(dir)
      expect(options.port).toBe(server.port)
      expect(options.host).toBe("127.0.0.1")
      expect(yield* RpcClient.call(options, "get_version")).toEqual({ success: true, version: "9.9.9" })
      const failed = yield* RpcClient.call(options, "close_connection", { node_id: "00".repeat(32) })
      expect(failed["success"]).toBe(false)
      const error = yield* Effect.flip(RpcClient.callOrFail(options, "close_connection", { node_id: "00".repeat(32) }))
      expect(error._tag).toBe("RpcCommandError")
      expect(error.message).toBe(`connection with node_id 0x${"00".repeat(32)} does not exist`)
    }))

  it.effect("says no node is running when nothing listens", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const dir = dataDirWithPort(port)
      const options = yield* RpcClient.fromDataDir(dir)
      const error = yield* Effect.flip(RpcClient.call(options, "healthz"))
      expect(error.reason).toBe("NotRunning")
      expect(error.message).toBe(`no node is running at 127.0.0.1:${port} (data dir ${DataDir.paths(dir).root})`)
    }))

  it.scoped("fails the TLS handshake against a node of another data dir (another private CA)", () =>
    Effect.gen(function* () {
      const server = yield* serveFrom(otherDir)
      const options = yield* RpcClient.fromDataDir(dataDirWithPort(server.port))
      const error = yield* Effect.flip(RpcClient.call(options, "healthz"))
      expect(error.reason).toBe("Tls")
      expect(error.message).toContain(`TLS with 127.0.0.1:${server.port} failed`)
      expect(error.message).not.toContain("\n")
    }))

  it.scoped("times out when the server never answers", () =>
    Effect.gen(function* () {
      const { arrived, port } = yield* rawServer(base, undefined)
      const options = yield* RpcClient.fromDataDir(dataDirWithPort(port), { timeout: "10 seconds" })
      const fiber = yield* Effect.fork(Effect.flip(RpcClient.call(options, "healthz")))
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error.reason).toBe("Timeout")
      expect(error.message).toBe(`no answer from 127.0.0.1:${port} within 10s`)
    }))

  it.scoped("reports an answer that is not a JSON object", () =>
    Effect.gen(function* () {
      const { port } = yield* rawServer(base, (res) => {
        res.writeHead(500, { "content-type": "text/plain" })
        res.end("Internal Server Error")
      })
      const options = yield* RpcClient.fromDataDir(dataDirWithPort(port))
      const error = yield* Effect.flip(RpcClient.call(options, "healthz"))
      expect(error.reason).toBe("BadResponse")
      expect(error.message.startsWith(`bad answer from 127.0.0.1:${port} (HTTP 500): malformed JSON`)).toBe(true)
      expect(error.message).toContain("Internal Server Error")
    }))

  it.effect("names `peerwire init` when the data dir has no config or certificates", () =>
    Effect.gen(function* () {
      const empty = mkdtempSync(join(tmpdir(), "peerwire-rpcclient-empty-"))
      const error = yield* Effect.flip(RpcClient.fromDataDir(empty))
      expect(error.reason).toBe("Setup")
      expect(error.message).toBe(
        `cannot read ${DataDir.paths(empty).configFile}; is ${empty} a data directory? (run \`peerwire init\`)`
      )
    }))
})
