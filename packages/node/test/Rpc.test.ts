import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Scope, TestClock } from "effect"
import { mkdtempSync } from "node:fs"
import { request as httpsRequest } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ConnectionOptions } from "node:tls"
import { type ClientOptions, WebSocket } from "ws"
import { Certificates, type TlsIdentity } from "@peerwire/transport"
import * as DataDir from "../src/DataDir.js"
import * as Rpc from "../src/Rpc.js"

// One data directory for the whole file: RSA key generation is the slow part.
let serverTls: Rpc.RpcTls
let daemon: TlsIdentity
let privateCaPem: string
let publicFullNode: TlsIdentity
let foreign: TlsIdentity

beforeAll(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "peerwire-rpc-")), "root")
  await Effect.runPromise(
    Effect.gen(function* () {
      const report = yield* DataDir.ensure(dir, { network: "testnet11" })
      const p = report.paths
      serverTls = yield* Rpc.tlsFromDataDir(p)
      daemon = yield* Certificates.loadIdentity(p.privateDaemonCertificate, p.privateDaemonKey)
      publicFullNode = yield* Certificates.loadIdentity(p.publicFullNodeCertificate, p.publicFullNodeKey)
      privateCaPem = serverTls.caPem[0]!
      foreign = yield* Certificates.generateNodeCertificate(yield* Certificates.generateCa())
    })
  )
})

const NOW_MS = 1_700_000_000_000
const ID_A = "ab".repeat(32)
const ID_B = "cd".repeat(32)

const makeFake = () => {
  const state = {
    stops: 0,
    opened: [] as Array<string>,
    bans: new Map<string, Rpc.BanInfo>(),
    connections: [
      {
        type: 1,
        local_port: 8444,
        peer_host: "203.0.113.7",
        peer_port: 8444,
        peer_server_port: 8444,
        node_id: ID_A,
        creation_time: 1_700_000_000.5,
        bytes_read: 1000,
        bytes_written: 2000,
        last_message_time: 1_700_000_010
      },
      {
        type: 6,
        local_port: 8444,
        peer_host: "198.51.100.2",
        peer_port: 50123,
        peer_server_port: 0,
        node_id: ID_B,
        creation_time: 1_700_000_001,
        bytes_read: 5,
        bytes_written: 6,
        last_message_time: 1_700_000_002
      }
    ] as Array<Rpc.ConnectionInfo>
  }
  const control: Rpc.NodeControlShape = {
    connections: Effect.sync(() => [...state.connections]),
    openConnection: (host, port) =>
      port === 1
        ? Effect.fail(new Rpc.NodeControlError({ message: "connection refused" }))
        : Effect.sync(() => {
          state.opened.push(`${host}:${port}`)
        }),
    closeConnection: (id) =>
      Effect.sync(() => {
        const before = state.connections.length
        state.connections = state.connections.filter((c) => c.node_id !== id)
        return state.connections.length < before
      }),
    stop: Effect.sync(() => {
      state.stops++
    }),
    networkName: "testnet11",
    networkPrefix: Rpc.networkPrefixFor("testnet11"),
    version: "0.1.0-test",
    bans: Effect.sync(() => [...state.bans.values()]),
    ban: (host, seconds, reason) =>
      Effect.sync(() => {
        if (host === "127.0.0.1") return false
        state.bans.set(host, { host, until: NOW_MS + seconds * 1000, reason })
        return true
      }),
    unban: (host) => Effect.sync(() => state.bans.delete(host))
  }
  return { state, control }
}

interface Reply {
  readonly status: number
  readonly text: string
  readonly json: Record<string, unknown>
}

interface PostOptions {
  /** Client certificate; default the daemon's, null for none. */
  readonly identity?: TlsIdentity | null
  readonly method?: string
  readonly maxVersion?: "TLSv1.2" | "TLSv1.3"
}

const post = (
  port: number,
  path: string,
  body?: string | Buffer,
  options: PostOptions = {}
): Effect.Effect<Reply, Error> =>
  Effect.async<Reply, Error>((resume) => {
    const identity = options.identity === undefined ? daemon : options.identity
    const req = httpsRequest({
      host: "127.0.0.1",
      port,
      path,
      method: options.method ?? "POST",
      ...(identity !== null ? { cert: identity.certificatePem, key: identity.privateKeyPem } : {}),
      ca: [privateCaPem],
      checkServerIdentity: () => undefined,
      agent: false,
      ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {})
    })
    req.on("response", (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let json: Record<string, unknown> = {}
        try {
          json = JSON.parse(text) as Record<string, unknown>
        } catch {
          json = {}
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, text, json }))
      })
      res.on("error", (e) => resume(Effect.fail(e)))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(body)
    return Effect.sync(() => req.destroy())
  })

const call = (port: number, command: string, params?: unknown) =>
  post(port, `/${command}`, params === undefined ? undefined : JSON.stringify(params)).pipe(
    Effect.map((r) => r.json)
  )

const startFake = (extra: Rpc.RpcHandlers = {}, options: Partial<Rpc.ServeOptions> = {}) =>
  Effect.gen(function* () {
    const fake = makeFake()
    const server = yield* Rpc.serveNode({ port: 0, tls: serverTls, extraHandlers: extra, ...options }).pipe(
      Effect.provideService(Rpc.NodeControl, fake.control)
    )
    return { ...fake, server, port: server.port }
  })

describe("Rpc server: commands", () => {
  it.scoped("answers get_connections in the reference's shape, with an optional node_type filter", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const all = yield* call(port, "get_connections")
      expect(all["success"]).toBe(true)
      const connections = all["connections"] as Array<Record<string, unknown>>
      expect(connections).toHaveLength(2)
      expect(connections[0]).toEqual({
        type: 1,
        local_port: 8444,
        peer_host: "203.0.113.7",
        peer_port: 8444,
        peer_server_port: 8444,
        node_id: `0x${ID_A}`,
        creation_time: 1_700_000_000.5,
        bytes_read: 1000,
        bytes_written: 2000,
        last_message_time: 1_700_000_010
      })
      const wallets = yield* call(port, "get_connections", { node_type: 6 })
      expect((wallets["connections"] as Array<Record<string, unknown>>).map((c) => c["node_id"])).toEqual([`0x${ID_B}`])
      const bad = yield* call(port, "get_connections", { node_type: 9 })
      expect(bad).toEqual({ success: false, error: "get_connections: node_type: expected a node type 1..7" })
    }))

  it.scoped("opens connections, reports failures and names bad parameters", () =>
    Effect.gen(function* () {
      const { port, state } = yield* startFake()
      expect(yield* call(port, "open_connection", { host: "node.example", port: 8444 })).toEqual({ success: true })
      expect(yield* call(port, "open_connection", { host: "10.0.0.1", port: "58444" })).toEqual({ success: true })
      expect(state.opened).toEqual(["node.example:8444", "10.0.0.1:58444"])
      expect(yield* call(port, "open_connection", { host: "10.0.0.2", port: 1 })).toEqual({
        success: false,
        error: "could not connect to 10.0.0.2:1: connection refused"
      })
      const bad = yield* call(port, "open_connection", { port: "x" })
      expect(bad["success"]).toBe(false)
      expect(bad["error"]).toBe("open_connection: host: is missing; port: expected a port number 1..65535")
      const range = yield* call(port, "open_connection", { host: "a", port: 70000 })
      expect(range["error"]).toBe("open_connection: port: expected a port number 1..65535")
      expect(state.opened).toHaveLength(2)
    }))

  it.scoped("closes connections by node id (0x optional) and reports unknown ones", () =>
    Effect.gen(function* () {
      const { port, state } = yield* startFake()
      expect(yield* call(port, "close_connection", { node_id: `0x${ID_A.toUpperCase()}` })).toEqual({ success: true })
      expect(state.connections.map((c) => c.node_id)).toEqual([ID_B])
      expect(yield* call(port, "close_connection", { node_id: ID_A })).toEqual({
        success: false,
        error: `connection with node_id 0x${ID_A} does not exist`
      })
      const bad = yield* call(port, "close_connection", { node_id: "abc" })
      expect(bad["error"]).toBe("close_connection: node_id: expected 32 bytes as hex (64 digits, 0x optional)")
    }))

  it.scoped("answers stop_node, get_network_info, get_version, healthz and get_routes", () =>
    Effect.gen(function* () {
      const { port, state } = yield* startFake()
      expect(yield* call(port, "stop_node")).toEqual({ success: true })
      expect(state.stops).toBe(1)
      expect(yield* call(port, "get_network_info")).toEqual({
        success: true,
        network_name: "testnet11",
        network_prefix: "txch"
      })
      expect(yield* call(port, "get_version")).toEqual({ success: true, version: "0.1.0-test" })
      expect(yield* call(port, "healthz")).toEqual({ success: true })
      expect(yield* call(port, "get_routes")).toEqual({
        success: true,
        routes: [
          "/ban",
          "/close_connection",
          "/get_ban_list",
          "/get_connections",
          "/get_network_info",
          "/get_routes",
          "/get_version",
          "/healthz",
          "/open_connection",
          "/stop_node",
          "/unban"
        ]
      })
    }))

  it.scoped("bans, lists and unbans; refuses exempt hosts and names bad parameters", () =>
    Effect.gen(function* () {
      const { port, state } = yield* startFake()
      expect(yield* call(port, "ban", { host: "203.0.113.9", seconds: 600, reason: "spam" })).toEqual({
        success: true,
        host: "203.0.113.9",
        seconds: 600
      })
      expect(yield* call(port, "ban", { host: "[2001:DB8::1]" })).toEqual({
        success: true,
        host: "2001:db8::1",
        seconds: Rpc.DEFAULT_BAN_SECONDS
      })
      expect(state.bans.get("2001:db8::1")?.reason).toBe(Rpc.DEFAULT_BAN_REASON)
      const list = yield* call(port, "get_ban_list")
      expect(list["bans"]).toContainEqual({ host: "203.0.113.9", until: NOW_MS / 1000 + 600, reason: "spam" })
      expect(list["bans"]).toHaveLength(2)
      expect(yield* call(port, "ban", { host: "127.0.0.1" })).toEqual({
        success: false,
        error: "127.0.0.1 cannot be banned (localhost or a trusted network)"
      })
      expect((yield* call(port, "ban", { host: "example.com" }))["error"]).toBe("ban: host: expected an IP address")
      expect((yield* call(port, "ban", { host: "10.0.0.1", seconds: -5 }))["error"]).toBe(
        `ban: seconds: expected a number of seconds, > 0 and ≤ ${Rpc.MAX_BAN_SECONDS}`
      )
      expect(yield* call(port, "unban", { host: "203.0.113.9" })).toEqual({
        success: true,
        host: "203.0.113.9",
        unbanned: true
      })
      expect(yield* call(port, "unban", { host: "203.0.113.9" })).toEqual({
        success: true,
        host: "203.0.113.9",
        unbanned: false
      })
      expect((yield* call(port, "unban", {}))["error"]).toBe("unban: host: is missing")
    }))

  it.scoped("lets extra handlers join (and appear in get_routes); a defect is an answer, not a crash", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake({
        get_blockchain_state: () => Effect.succeed({ blockchain_state: { peak: null, weight: 2n ** 100n } }),
        broken: () => Effect.die(new Error("boom"))
      })
      const state = yield* post(port, "/get_blockchain_state")
      // Big integers are printed exactly; keys sorted as the reference does.
      expect(state.text).toBe(`{"blockchain_state":{"peak":null,"weight":${2n ** 100n}},"success":true}`)
      const broken = yield* call(port, "broken")
      expect(broken["success"]).toBe(false)
      expect(broken["error"]).toContain("internal error in broken")
      expect(broken["error"]).toContain("boom")
      expect((yield* call(port, "get_routes"))["routes"]).toContain("/get_blockchain_state")
      expect(yield* call(port, "healthz")).toEqual({ success: true })
    }))

  it.scoped("answers a command that runs too long with a timeout error", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const { port } = yield* startFake(
        { slow: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never)) },
        { handlerTimeout: "5 seconds" }
      )
      const fiber = yield* Effect.fork(call(port, "slow"))
      yield* Deferred.await(started)
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(fiber)).toEqual({ success: false, error: "slow did not finish within 5s" })
    }))
})

describe("Rpc server: malformed requests", () => {
  it.scoped("answers malformed JSON, non-objects, unknown commands and other methods with success:false", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const malformed = yield* post(port, "/get_version", "{not json")
      expect(malformed.status).toBe(200)
      expect(malformed.json["success"]).toBe(false)
      expect(malformed.json["error"]).toMatch(/^malformed JSON: /)
      expect((yield* post(port, "/get_version", "[1,2]")).json).toEqual({
        success: false,
        error: "the body must be a JSON object, got an array"
      })
      expect((yield* post(port, "/get_version", "")).json).toEqual({ success: true, version: "0.1.0-test" })
      expect((yield* post(port, "/nope", "{}")).json).toEqual({
        success: false,
        error: "unknown command \"nope\" (get_routes lists them)"
      })
      expect((yield* post(port, "/constructor", "{}")).json["success"]).toBe(false)
      expect((yield* post(port, "/a/b", "{}")).json["error"]).toMatch(/^unknown command/)
      expect((yield* post(port, "/get_version", undefined, { method: "GET" })).json).toEqual({
        success: false,
        error: "use POST /get_version with a JSON body (got GET)"
      })
    }))

  it.scoped("answers a body over 1 MiB with success:false and keeps serving", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const big = Buffer.alloc(Rpc.MAX_BODY_BYTES + 1, 0x20)
      const reply = yield* post(port, "/get_version", big)
      expect(reply.json).toEqual({ success: false, error: `request body larger than ${Rpc.MAX_BODY_BYTES} bytes` })
      const atLimit = Buffer.concat([Buffer.from("{}"), Buffer.alloc(Rpc.MAX_BODY_BYTES - 2, 0x20)])
      expect((yield* post(port, "/get_version", atLimit)).json["success"]).toBe(true)
      expect(yield* call(port, "healthz")).toEqual({ success: true })
    }))
})

describe("Rpc server: mutual TLS and lifetime", () => {
  it.scoped("refuses clients without a certificate, with a foreign CA's, or with the public (Chia CA) one", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      for (const identity of [null, foreign, publicFullNode]) {
        const outcome = yield* Effect.either(post(port, "/healthz", "{}", { identity }))
        expect(outcome._tag).toBe("Left")
      }
      const tls12 = yield* Effect.either(post(port, "/healthz", "{}", { maxVersion: "TLSv1.2" }))
      expect(tls12._tag).toBe("Left")
      expect(yield* call(port, "healthz")).toEqual({ success: true })
    }))

  it.scoped("fails with AddressInUse and a one-line message when the port is taken", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const error = yield* Effect.flip(Rpc.serve({ port, tls: serverTls, handlers: {} }))
      expect(error.reason).toBe("AddressInUse")
      expect(error.message).toBe(
        `cannot start the RPC server: 127.0.0.1:${port} is already in use (another node or service is listening there)`
      )
    }))

  it.effect("stops listening when its scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const { port } = yield* Scope.extend(startFake(), scope)
      expect(yield* call(port, "healthz")).toEqual({ success: true })
      yield* Scope.close(scope, Exit.void)
      const refused = yield* Effect.flip(call(port, "healthz"))
      expect((refused as Error & { code?: string }).code).toBe("ECONNREFUSED")
    }))
})

interface WsReply {
  readonly messages: Array<Record<string, unknown>>
  readonly closeCode: number | undefined
}

/** Opens a WebSocket, sends each message, collects `expected` answers (or the close). */
const wsExchange = (
  port: number,
  outgoing: ReadonlyArray<string | Buffer>,
  expected: number,
  path = "/ws",
  identity: TlsIdentity = daemon
): Effect.Effect<WsReply, Error> =>
  Effect.async<WsReply, Error>((resume) => {
    const messages: Array<Record<string, unknown>> = []
    // Node certificates name chia.net, not 127.0.0.1: the chain to the private CA is what is checked. (ws types
    // `checkServerIdentity` as returning boolean; `tls` wants undefined for success.)
    const tlsOptions: ConnectionOptions = {
      cert: identity.certificatePem,
      key: identity.privateKeyPem,
      ca: [privateCaPem],
      checkServerIdentity: () => undefined
    }
    const socket = new WebSocket(`wss://127.0.0.1:${port}${path}`, tlsOptions as ClientOptions)
    let finished = false
    const finish = (result: Effect.Effect<WsReply, Error>) => {
      if (finished) return
      finished = true
      resume(result)
    }
    socket.on("open", () => {
      for (const m of outgoing) socket.send(m, { binary: Buffer.isBuffer(m) })
    })
    socket.on("message", (data) => {
      messages.push(JSON.parse(String(data)) as Record<string, unknown>)
      if (messages.length === expected) {
        socket.close(1000)
        finish(Effect.succeed({ messages, closeCode: undefined }))
      }
    })
    socket.on("close", (code) => finish(Effect.succeed({ messages, closeCode: code })))
    socket.on("error", (e) => finish(Effect.fail(e)))
    return Effect.sync(() => socket.terminate())
  })

describe("Rpc server: WebSocket", () => {
  it.scoped("answers daemon-shaped messages with origin and destination swapped", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const request = (command: string, data: unknown, id: string) =>
        JSON.stringify({ command, ack: false, data, request_id: id, destination: "chia_full_node", origin: "ui" })
      const { messages } = yield* wsExchange(port, [
        request("get_network_info", {}, "r1"),
        request("open_connection", { host: "h" }, "r2"),
        request("nope", {}, "r3")
      ], 3)
      const byId = new Map(messages.map((m) => [m["request_id"], m]))
      expect(byId.get("r1")).toEqual({
        command: "get_network_info",
        ack: true,
        data: { success: true, network_name: "testnet11", network_prefix: "txch" },
        request_id: "r1",
        origin: "chia_full_node",
        destination: "ui"
      })
      expect(byId.get("r2")?.["data"]).toEqual({
        success: false,
        error: "open_connection: port: is missing"
      })
      expect((byId.get("r3")?.["data"] as Record<string, unknown>)["error"]).toBe(
        "unknown command \"nope\" (get_routes lists them)"
      )
    }))

  it.scoped("answers malformed messages with an error and closes on a binary frame", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const { messages } = yield* wsExchange(port, ["{oops", JSON.stringify({ data: {} })], 2)
      const errors = messages.map((m) => (m["data"] as Record<string, unknown>)["error"])
      expect(errors).toContain("the message has no \"command\" string")
      expect(errors.some((e) => String(e).startsWith("malformed JSON"))).toBe(true)
      const binary = yield* wsExchange(port, [Buffer.from([1, 2, 3])], 1)
      expect(binary.messages).toEqual([])
      expect(binary.closeCode).toBe(1003)
      expect(yield* call(port, "healthz")).toEqual({ success: true })
    }))

  it.scoped("closes a socket whose message is over 1 MiB (1009) and keeps serving", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      const big = JSON.stringify({ command: "healthz", data: { pad: "x".repeat(Rpc.MAX_BODY_BYTES) } })
      const reply = yield* wsExchange(port, [big], 1)
      expect(reply.messages).toEqual([])
      expect(reply.closeCode).toBe(1009)
      const ok = yield* wsExchange(port, [JSON.stringify({ command: "healthz", request_id: "x" })], 1)
      expect(ok.messages[0]?.["data"]).toEqual({ success: true })
    }))

  it.scoped("refuses other paths and foreign certificates", () =>
    Effect.gen(function* () {
      const { port } = yield* startFake()
      expect((yield* Effect.either(wsExchange(port, [], 1, "/other")))._tag).toBe("Left")
      expect((yield* Effect.either(wsExchange(port, [], 1, "/ws", foreign)))._tag).toBe("Left")
    }))
})
