/**
 * Scenarios 1 and 2 against one reference full node (mainnet config, empty chain, rate_limits 3):
 *  1. our `ChiaPeer` dials it (from 127.0.0.2, so it treats us as remote): TLS with a Chia-CA-signed certificate,
 *     handshake incl. RATE_LIMITS_V3 window exchange, request_peers, request_block → reject_block, our heartbeat every
 *     3 s answered for the whole file, WS pings answered;
 *  2. it dials our node (we are in its full_node_peers at 127.0.0.2): our listener accepts, verifies and replies, and
 *     the reference keeps the link — for more than 95 s of silence, which covers its own hard-coded 60 s heartbeat
 *     (aiohttp pings after 60 s without data and drops the link 30 s later without a pong).
 * Every frame is captured and decoded by our codec and by chia_rs / Python streamable; the reference's log must say
 * nothing bad about either of our identities.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Duration, Effect, Option } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { Certificates, Transport } from "@peerwire/transport"
import { ChiaPeer } from "@peerwire/peer"
import * as BanList from "@peerwire/node/BanList"
import { artifactsDir, waitFor } from "./support/env.js"
import { crossDecode } from "./support/crossDecode.js"
import { honestHandlers, makeIdentity, type OurIdentity, type OurNode, startOurNode } from "./support/ourNode.js"
import { makeFrameLog, recording } from "./support/recording.js"
import { freePort, type Reference, startReference, troubleAbout } from "./support/reference.js"
import { makeRuntime } from "./support/runtime.js"
import { type TcpCounters, tcpCounters } from "./support/tcp.js"
import { type SourceProxy, startSourceProxy } from "./support/sourceProxy.js"

/** Our heartbeat for this run: a WS ping every 3 s, dropped without a pong within 2 s (default 60 s / 30 s). */
const HEARTBEAT = { interval: "3 seconds", timeout: "2 seconds" } as const
/** The reference's own dialer heartbeat (aiohttp `heartbeat=60`, hard-coded in chia/server/server.py) plus its 30 s pong wait. */
const REFERENCE_HEARTBEAT_S = 60
const REFERENCE_PONG_WAIT_S = 30
/** Silence we hold the reference's outbound link for: past its first ping and the pong deadline. */
const HOLD_SILENT_S = REFERENCE_HEARTBEAT_S + REFERENCE_PONG_WAIT_S + 5

const runtime = makeRuntime()
const dialCapture = makeFrameLog("mainnet-dial")
const listenCapture = makeFrameLog("mainnet-listen")
let ref: Reference
let proxy: SourceProxy
let dialerId: OurIdentity
let listenerId: OurIdentity
let node: OurNode
let ourPort: number
let referenceNodeId: string
let dialer: ChiaPeer.ChiaPeer
/** Kernel counters of the reference's link to our listener when its silence started, and the frames seen by then. */
let silenceStart: { counters: TcpCounters; frames: number }

const connectionsOf = async (): Promise<ReadonlyArray<Record<string, unknown>>> => {
  const reply = await ref.rpc("get_connections")
  expect(reply.success, JSON.stringify(reply)).toBe(true)
  return reply.connections as ReadonlyArray<Record<string, unknown>>
}
const hexOf = (id: unknown): string => String(id).replace(/^0x/, "")

beforeAll(async () => {
  ;[dialerId, listenerId] = await runtime.run(Effect.all([makeIdentity, makeIdentity]))
  ourPort = await freePort("127.0.0.2")
  const banList = await runtime.run(BanList.make({ exemptLocalhost: false }))
  // Our node listens before the reference starts, so its first dial (at start, then every 3 s) finds us.
  node = await runtime.run(
    startOurNode({
      host: "127.0.0.2",
      port: ourPort,
      networkId: "mainnet",
      identity: listenerId,
      banList,
      capture: listenCapture,
      peer: { nodeType: NodeType.FULL_NODE, serverPort: ourPort, rateLimitsV3: true, handlers: honestHandlers }
    })
  )
  ref = await startReference({ name: "mainnet", rateLimits: 3, peers: [`127.0.0.2:${ourPort}`], maxSeconds: 420 })
  referenceNodeId = Certificates.nodeIdHex(
    await runtime.run(Certificates.certificateDer(readFileSync(`${ref.root}/config/ssl/full_node/public_full_node.crt`, "utf8")))
  )
  proxy = await startSourceProxy({ host: "127.0.0.1", port: ref.port }, "127.0.0.2")
})

afterAll(async () => {
  const dir = artifactsDir()
  dialCapture.save(dir)
  listenCapture.save(dir)
  await runtime.close()
  await proxy?.close()
  await ref?.stop()
})

describe("scenario 2 (first, it starts with the reference): the reference dials our node", () => {
  it("our listener on 127.0.0.2 accepts the reference's TLS connection and handshake, and replies", async () => {
    const record = await waitFor("the reference to dial us and finish the handshake", 30_000, () =>
      node.inbound.find((r) => r.handshake !== undefined)
    )
    expect(record.error).toBeUndefined()
    expect(record.handshake).toMatchObject({ networkId: "mainnet", nodeType: NodeType.FULL_NODE, softwareVersion: "2.7.5" })
    // Both sides advertise capability 7: the window exchange ran.
    expect(record.handshake?.rateLimitsV3).toBe(true)
    // We verified its certificate: its node id is the hash of its public_full_node.crt.
    const peerId = Option.getOrThrow(record.peer!.connection.peerId)
    expect(Buffer.from(peerId).toString("hex")).toBe(referenceNodeId)
    const outTypes = listenCapture.frames.filter((f) => f.dir === "out").map((f) => f.typeName)
    expect(outTypes.slice(0, 2)).toEqual(["handshake", "configure_window_sizes"])
  })

  it("answers every request the reference sends on that link, with the request's id", () => {
    // (chia 2.7.5 sends request_peers to an outbound full node only once its peer discovery runs; at start-up it may
    // send nothing, so this checks whatever it did send.)
    const requests = listenCapture.frames.filter((f) => f.dir === "in" && f.typeName.startsWith("request_") && f.bytes[1] === 1)
    for (const request of requests) {
      const id = (request.bytes[2]! << 8) | request.bytes[3]!
      const reply = listenCapture.frames.find((f) => f.dir === "out" && f.bytes[1] === 1 && ((f.bytes[2]! << 8) | f.bytes[3]!) === id)
      expect(reply, `reply to ${request.typeName} id ${id}`).toBeDefined()
    }
  })

  it("the reference lists the link as its outbound connection to our node id", async () => {
    const theirs = await waitFor("get_connections to list our listener", 10_000, async () =>
      (await connectionsOf()).find((c) => hexOf(c.node_id) === listenerId.nodeIdHex)
    )
    expect(theirs).toMatchObject({ peer_host: "127.0.0.2", peer_server_port: ourPort, type: NodeType.FULL_NODE })
    // The reference dials 127.0.0.2 from the kernel's default source, 127.0.0.1.
    const record = node.inbound.find((r) => r.handshake !== undefined)!
    expect(record.remote.host).toBe("127.0.0.1")
  })
})

describe("scenario 1: our peer dials the reference (as 127.0.0.2)", () => {
  it("TLS with a Chia-CA-signed certificate and the handshake are accepted", async () => {
    dialer = await runtime.run(
      Effect.gen(function*() {
        const transport = yield* Transport
        const connection = yield* transport.dial({ host: "127.0.0.1", port: proxy.port }, { tls: dialerId.tls })
        return yield* ChiaPeer.fromConnection(recording(connection, dialCapture), "dialer", {
          networkId: "mainnet",
          nodeType: NodeType.FULL_NODE,
          serverPort: 0,
          rateLimitsV3: true,
          handlers: honestHandlers,
          config: { heartbeat: HEARTBEAT }
        })
      }).pipe(Effect.timeout("30 seconds"))
    )
    expect(dialer.info).toMatchObject({ networkId: "mainnet", nodeType: NodeType.FULL_NODE, softwareVersion: "2.7.5", rateLimitsV3: true })
    expect(Buffer.from(Option.getOrThrow(dialer.info.peerId)).toString("hex")).toBe(referenceNodeId)
    expect(proxy.forwarded.length).toBe(1)
    const theirs = await waitFor("get_connections to list our dialer", 10_000, async () =>
      (await connectionsOf()).find((c) => hexOf(c.node_id) === dialerId.nodeIdHex)
    )
    // The reference sees the forwarded source address, i.e. we are "remote" to it (not the exempt 127.0.0.1).
    expect(theirs).toMatchObject({ peer_host: "127.0.0.2", peer_port: proxy.forwarded[0]!.sourcePort, type: NodeType.FULL_NODE })
  })

  it("request_peers is answered with respond_peers", async () => {
    const reply = await runtime.run(dialer.request("request_peers", {}, { timeout: "20 seconds" }))
    expect(reply.name).toBe("respond_peers")
    // The reference knows our listener (an inbound full node it connected to) at most; every entry is well-formed.
    if (reply.name === "respond_peers") for (const p of reply.payload.peer_list) expect(typeof p.host).toBe("string")
  })

  it("request_block for a height the reference lacks is answered with reject_block", async () => {
    const reply = await runtime.run(dialer.request("request_block", { height: 1000, include_transaction_block: false }, { timeout: "20 seconds" }))
    expect(reply).toEqual({ name: "reject_block", payload: { height: 1000 } })
  })

  it("answers WS pings, and keeps the link through at least 3 of our heartbeat intervals", async () => {
    const rtts: Array<number> = []
    for (let i = 0; i < 3; i++) {
      rtts.push(Duration.toMillis(await runtime.run(dialer.connection.ping("5 seconds"))))
    }
    expect(rtts.every((ms) => ms >= 0 && ms < 5000)).toBe(true)
    const interval = Duration.toMillis(Duration.decode(HEARTBEAT.interval))
    await new Promise((r) => setTimeout(r, 3 * interval + 1000))
    expect(await runtime.run(dialer.isClosed)).toBe(false)
    const again = await runtime.run(dialer.request("request_block", { height: 7, include_transaction_block: true }, { timeout: "20 seconds" }))
    expect(again.name).toBe("reject_block")
  })
})

describe("both links over time", () => {
  it(`the reference keeps its outbound link to us through ${HOLD_SILENT_S} s of silence (its own 60 s heartbeat answered)`, async () => {
    const record = node.inbound.find((r) => r.handshake !== undefined)!
    const lastFrameAt = () => listenCapture.startedAt + Math.max(0, ...listenCapture.frames.map((f) => f.t))
    // It relays new peers' addresses on this link (e.g. our dialer's), so the silence starts at its last frame; a
    // frame during the hold restarts it with fresh kernel counters.
    const snapshot = async () => {
      const sinceLast = Date.now() - lastFrameAt()
      expect(sinceLast, "the snapshot must come before its first heartbeat ping").toBeLessThan((REFERENCE_HEARTBEAT_S - 15) * 1000)
      silenceStart = { counters: await tcpCounters({ host: "127.0.0.2", port: ourPort }, "127.0.0.1"), frames: listenCapture.frames.length }
    }
    await snapshot()
    // Wait until HOLD_SILENT_S have passed since the last frame on that link: aiohttp pings after 60 s without data,
    // and would have dropped the link 30 s later without our pong.
    await waitFor(`${HOLD_SILENT_S} s of silence on the reference's link`, (2 * HOLD_SILENT_S) * 1000, async () => {
      if (listenCapture.frames.length !== silenceStart.frames) await snapshot()
      const silentMs = Date.now() - lastFrameAt()
      return silentMs >= HOLD_SILENT_S * 1000 || record.closed !== undefined ? true : undefined
    }, 1000)
    expect(record.closed).toBeUndefined()
    expect(await runtime.run(record.peer!.isClosed)).toBe(false)
    // Below the frames: no message crossed the link, yet bytes did both ways — its WS ping(s) and our pong(s).
    expect(listenCapture.frames.length).toBe(silenceStart.frames)
    const now = await tcpCounters({ host: "127.0.0.2", port: ourPort }, "127.0.0.1")
    expect(now.received).toBeGreaterThan(silenceStart.counters.received)
    expect(now.sent).toBeGreaterThan(silenceStart.counters.sent)
    const theirs = (await connectionsOf()).find((c) => hexOf(c.node_id) === listenerId.nodeIdHex)
    expect(theirs).toBeDefined()
    // Our dialer, pinging every 3 s all along, is still up as well.
    expect(await runtime.run(dialer.isClosed)).toBe(false)
    expect((await connectionsOf()).some((c) => hexOf(c.node_id) === dialerId.nodeIdHex)).toBe(true)
  })

  it("every frame of both links decodes the same with our codec and with chia_rs / Python streamable", async () => {
    const frames = [...dialCapture.frames, ...listenCapture.frames]
    expect(frames.filter((f) => f.dir === "in").length).toBeGreaterThanOrEqual(6)
    const report = await crossDecode(frames.map((f) => f.bytes), `${artifactsDir()}/frames-mainnet.hex`)
    writeFileSync(`${artifactsDir()}/crossdecode-mainnet.json`, JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 1))
    expect(report.problems).toEqual([])
    expect(report.agreed).toBe(frames.length)
    // chia_rs has every class here but ConfigureWindowSizes (Python-only in 2.7.5).
    expect(report.equal.rs).toBe(frames.filter((f) => f.typeName !== "configure_window_sizes").length)
  })

  it("the reference's log has no warning or error about either of our identities or our address", () => {
    const trouble = troubleAbout(ref.log(), ["127.0.0.2", dialerId.nodeIdHex, listenerId.nodeIdHex])
    expect(trouble).toEqual([])
    // …and it did log both links (the needles are right).
    expect(ref.log()).toContain(dialerId.nodeIdHex)
    expect(ref.log()).toContain(listenerId.nodeIdHex)
  })
})
