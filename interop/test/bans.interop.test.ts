/**
 * Scenario 3, bans both ways, with the same violations:
 *  - against the reference (mainnet config, v2 rate limits), from 127.0.0.2 / 127.0.0.3 through a source proxy, with raw
 *    frames from our transport: a wrong network_id → close 1002 "110", banned 10 s (next dial: HTTP 403); the same from
 *    127.0.0.1 is not banned (the reference exempts exactly 127.0.0.1); 11 request_peers in a minute → close, banned
 *    300 s (403);
 *  - against our node (listener + BanList + ChiaPeer), from the reference's own client stack (interop/probe.py, aiohttp
 *    with chia's SSL contexts): the same two violations get the same close codes and bans (403 on reconnect).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Either, Queue, Stream } from "effect"
import type { Scope } from "effect"
import { readFileSync } from "node:fs"
import { encodeMessage } from "@peerwire/codec/chia/Catalogue"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { type CloseInfo, type Connection, Transport, type TransportError } from "@peerwire/transport"
import { ChiaProtocol } from "@peerwire/peer"
import * as BanList from "@peerwire/node/BanList"
import { artifactsDir, INTEROP, run, VENV_PYTHON } from "./support/env.js"
import { honestHandlers, makeIdentity, type OurIdentity, type OurNode, startOurNode } from "./support/ourNode.js"
import { freePort, recordsAbout, type Reference, startReference } from "./support/reference.js"
import { makeRuntime } from "./support/runtime.js"
import { type SourceProxy, startSourceProxy } from "./support/sourceProxy.js"

const runtime = makeRuntime()
let ref: Reference
let id: OurIdentity
const proxies: Record<string, SourceProxy> = {}

const handshake = (networkId: string): Uint8Array =>
  Either.getOrThrow(
    encodeMessage("handshake", {
      network_id: networkId,
      protocol_version: ChiaProtocol.PROTOCOL_VERSIONS[NodeType.FULL_NODE],
      software_version: "2.7.5",
      server_port: 0,
      node_type: NodeType.FULL_NODE,
      capabilities: ChiaProtocol.defaultCapabilities(NodeType.FULL_NODE).map(([c, v]) => [c, v] as [number, string])
    })
  )
const requestPeers = (requestId: number): Uint8Array => Either.getOrThrow(encodeMessage("request_peers", {}, requestId))

/** A raw connection to the reference from `source` (127.0.0.1 = direct), frames read into a queue. */
const rawDial = (source: string): Effect.Effect<{ connection: Connection; next: Effect.Effect<Uint8Array> }, TransportError, Transport | Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const port = source === "127.0.0.1" ? ref.port : proxies[source]!.port
    const connection = yield* transport.dial({ host: "127.0.0.1", port }, { tls: id.tls })
    const inbox = yield* Queue.unbounded<Uint8Array>()
    yield* connection.frames.pipe(Stream.runForEach((f) => Queue.offer(inbox, f)), Effect.ignore, Effect.forkScoped)
    return { connection, next: Queue.take(inbox).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("no frame in 10 s") }), Effect.orDie) }
  })

const closedWithin = (connection: Connection, seconds: number): Effect.Effect<CloseInfo> =>
  connection.closed.pipe(
    Effect.timeoutFail({ duration: `${seconds} seconds`, onTimeout: () => new Error(`not closed within ${seconds} s`) }),
    Effect.orDie
  )

/** Dials and reports how it went: "open" or the transport error's reason and message. */
const dialOutcome = (source: string) =>
  Effect.scoped(rawDial(source)).pipe(
    Effect.as({ reason: "open", message: "" }),
    Effect.catchAll((e) => Effect.succeed({ reason: e.reason as string, message: e.message }))
  )

beforeAll(async () => {
  id = await runtime.run(makeIdentity)
  ref = await startReference({ name: "bans", maxSeconds: 300 })
  for (const source of ["127.0.0.2", "127.0.0.3"]) proxies[source] = await startSourceProxy({ host: "127.0.0.1", port: ref.port }, source)
})

afterAll(async () => {
  await runtime.close()
  for (const p of Object.values(proxies)) await p.close()
  await ref?.stop()
})

describe("the reference bans us", () => {
  it("wrong network_id from 127.0.0.2: closed 1002 \"110\", banned 10 s, the next dial gets HTTP 403", async () => {
    const close = await runtime.run(
      Effect.scoped(Effect.gen(function*() {
        const raw = yield* rawDial("127.0.0.2")
        yield* raw.connection.send(handshake("testnet11"))
        return yield* closedWithin(raw.connection, 10)
      }))
    )
    expect(close).toMatchObject({ initiator: "remote", code: 1002, reason: "110" })
    const again = await runtime.run(dialOutcome("127.0.0.2"))
    expect(again.reason).toBe("Rejected")
    expect(again.message).toContain("403")
    expect(recordsAbout(ref.log(), ["Banning 127.0.0.2 for 10 seconds"]).length).toBe(1)
  })

  it("the same from 127.0.0.1 is closed the same way but not banned (the reference exempts exactly 127.0.0.1)", async () => {
    const close = await runtime.run(
      Effect.scoped(Effect.gen(function*() {
        const raw = yield* rawDial("127.0.0.1")
        yield* raw.connection.send(handshake("testnet11"))
        return yield* closedWithin(raw.connection, 10)
      }))
    )
    expect(close).toMatchObject({ initiator: "remote", code: 1002, reason: "110" })
    expect((await runtime.run(dialOutcome("127.0.0.1"))).reason).toBe("open")
    expect(recordsAbout(ref.log(), ["Banning 127.0.0.1"])).toEqual([])
  })

  it("11 request_peers within a minute from 127.0.0.3: closed, banned 300 s, the next dial gets HTTP 403", async () => {
    const close = await runtime.run(
      Effect.scoped(Effect.gen(function*() {
        const raw = yield* rawDial("127.0.0.3")
        yield* raw.connection.send(handshake("mainnet"))
        const theirs = yield* raw.next
        expect(theirs[0]).toBe(1) // its handshake: we were accepted
        // One burst, so all 11 fall in the same fixed 60-s window of its limiter.
        for (let i = 1; i <= 11; i++) yield* raw.connection.send(requestPeers(i))
        return yield* closedWithin(raw.connection, 15)
      }))
    )
    expect(close).toMatchObject({ initiator: "remote", code: 1000 })
    const again = await runtime.run(dialOutcome("127.0.0.3"))
    expect(again.reason).toBe("Rejected")
    expect(again.message).toContain("403")
    expect(recordsAbout(ref.log(), ["Peer has been rate limited and will be disconnected"]).length).toBe(1)
    expect(recordsAbout(ref.log(), ["Banning 127.0.0.3 for 300 seconds"]).length).toBe(1)
  })
})

describe("our node bans a raw client (the reference's own aiohttp client, interop/probe.py)", () => {
  let node: OurNode
  let port: number

  beforeAll(async () => {
    const ourId = await runtime.run(makeIdentity)
    port = await freePort("127.0.0.2")
    // The node's BanList exempts all of 127/8 by default; here only the address matters, as for the reference.
    const banList = await runtime.run(BanList.make({ exemptLocalhost: false }))
    node = await runtime.run(
      startOurNode({
        host: "127.0.0.2",
        port,
        networkId: "mainnet",
        identity: ourId,
        banList,
        peer: { nodeType: NodeType.FULL_NODE, serverPort: port, handlers: honestHandlers }
      })
    )
  })

  const probe = async (name: string, source: string, extra: ReadonlyArray<string>) => {
    const out = `${artifactsDir()}/probe-${name}.jsonl`
    const args = [`${INTEROP}/probe.py`, "dial", "--host", "127.0.0.2", "--port", String(port), "--source", source, "--seconds", "5", "--connect-timeout", "10", "--out", out, ...extra]
    const { code } = await run(VENV_PYTHON, args, { timeoutMs: 60_000, okCodes: [0, 3] })
    const events = readFileSync(out, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>)
    return { code, events }
  }

  it("wrong network_id: we close 1002 \"110\" and ban 10 s; its next dial gets HTTP 403", async () => {
    const first = await probe("ours-network", "127.0.0.2", ["--network", "testnet11"])
    expect(first.events.find((e) => e.event === "closed")).toMatchObject({ code: 1002, reason: "110" })
    // We never replied with a handshake.
    expect(first.events.filter((e) => e.dir === "in")).toEqual([])
    expect(node.inbound.at(-1)).toMatchObject({ banned: true, error: { reason: "IncompatibleNetwork", banSeconds: 10 } })
    const second = await probe("ours-network-again", "127.0.0.2", [])
    expect(second.code).toBe(3)
    expect(second.events.find((e) => e.event === "rejected")).toMatchObject({ status: 403 })
    expect(node.gateLog.at(-1)).toEqual({ host: "127.0.0.2", refused: true })
  })

  it("11 request_peers within a minute: we close and ban 300 s; its next dial gets HTTP 403", async () => {
    const sends = Array.from({ length: 11 }, (_, i) => ["--send", `request_peers::${i + 1}`]).flat()
    const first = await probe("ours-rate", "127.0.0.3", sends)
    const inbound = first.events.filter((e) => e.dir === "in").map((e) => e.type_name)
    expect(inbound[0]).toBe("handshake")
    expect(first.events.find((e) => e.event === "closed")).toMatchObject({ code: 1000 })
    expect(node.inbound.at(-1)).toMatchObject({ banned: true, error: { reason: "RateLimited", banSeconds: 300 } })
    const second = await probe("ours-rate-again", "127.0.0.3", [])
    expect(second.events.find((e) => e.event === "rejected")).toMatchObject({ status: 403 })
  })
})
