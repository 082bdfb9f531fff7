/**
 * The node core itself (`Node.layer`: PeerManager, FullNodeApi, Discovery, BanList, AddressBook; discovery dials off,
 * no DNS, no introducer) against the reference, both ways:
 *  - a reference with our node (listening on 127.0.0.2) in its full_node_peers dials it and keeps the link;
 *  - our node's PeerManager dials a second reference (from 127.0.0.2) and its requests are answered;
 *  - a raw client (probe.py, chia's own client) with a wrong network_id is closed 1002 "110" and banned (403 next time).
 * Neither reference logs a warning or error about our node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Context, Effect, Layer, Stream } from "effect"
import { appendFileSync, readFileSync } from "node:fs"
import * as Node from "@peerwire/node/Node"
import * as PeerManager from "@peerwire/node/PeerManager"
import * as DnsResolver from "@peerwire/node/DnsResolver"
import { artifactsDir, INTEROP, run, VENV_PYTHON, waitFor } from "./support/env.js"
import { makeIdentity, type OurIdentity } from "./support/ourNode.js"
import { freePort, type Reference, startReference, troubleAbout } from "./support/reference.js"
import { makeRuntime } from "./support/runtime.js"
import { type SourceProxy, startSourceProxy } from "./support/sourceProxy.js"

const runtime = makeRuntime()
let dialing: Reference
let target: Reference
let proxy: SourceProxy
let id: OurIdentity
let ourPort: number
let manager: PeerManager.PeerManagerShape

const hexOf = (v: unknown): string => String(v).replace(/^0x/, "")
const connections = async (ref: Reference) => (await ref.rpc("get_connections")).connections as ReadonlyArray<Record<string, unknown>>

beforeAll(async () => {
  id = await runtime.run(makeIdentity)
  ourPort = await freePort("127.0.0.2")
  const layer = Node.layer({
    peerManager: { networkId: "mainnet", listen: { host: "127.0.0.2", port: ourPort }, tls: id.tls, rateLimitsV3: true },
    discovery: { dial: false, dnsServers: [], feelerInterval: false },
    dnsLayer: DnsResolver.layerRecords({}),
    addressBook: { allowPrivate: true },
    // Only the address matters here, as for the reference (whose exemption is exactly 127.0.0.1).
    banList: { exemptLocalhost: false }
  })
  manager = await runtime.run(Effect.map(Layer.build(layer), (ctx) => Context.get(ctx, PeerManager.PeerManager)))
  // The node's connection events, for the artifacts (what our side saw, next to the references' logs).
  const eventsFile = `${artifactsDir()}/node-events.jsonl`
  await runtime.run(
    Effect.forkScoped(Stream.runForEach(manager.events, (e) => Effect.sync(() => appendFileSync(eventsFile, `${JSON.stringify({ t: Date.now(), ...e })}\n`))))
  )
  ;[dialing, target] = await Promise.all([
    startReference({ name: "node-dialing", rateLimits: 3, peers: [`127.0.0.2:${ourPort}`], maxSeconds: 300 }),
    startReference({ name: "node-target", maxSeconds: 300 })
  ])
  proxy = await startSourceProxy({ host: "127.0.0.1", port: target.port }, "127.0.0.2")
})

afterAll(async () => {
  await runtime.close()
  await proxy?.close()
  await Promise.all([dialing?.stop(), target?.stop()])
})

describe("the node core against the reference", () => {
  it("a reference dials our node; both sides register the link and keep it", async () => {
    const ours = await waitFor("our PeerManager to register the reference's inbound link", 30_000, async () =>
      (await runtime.run(manager.connections)).find((c) => c.direction === "inbound")
    )
    expect(ours).toMatchObject({ nodeType: 1, softwareVersion: "2.7.5" })
    const nodeId = await runtime.run(manager.nodeId)
    expect(nodeId).toBe(id.nodeIdHex)
    await waitFor("the reference to list our node", 10_000, async () =>
      (await connections(dialing)).find((c) => hexOf(c.node_id) === nodeId)
    )
    await new Promise((r) => setTimeout(r, 8000))
    expect((await runtime.run(manager.connections)).some((c) => c.id === ours.id)).toBe(true)
    expect((await connections(dialing)).some((c) => hexOf(c.node_id) === nodeId)).toBe(true)
  })

  it("our PeerManager dials a reference (as 127.0.0.2); request_peers and request_block are answered", async () => {
    const connected = await runtime.run(
      manager.connect({ host: "127.0.0.1", port: proxy.port }).pipe(Effect.timeout("30 seconds"))
    )
    expect(connected.direction).toBe("outbound")
    const peers = await runtime.run(connected.peer.request("request_peers", {}, { timeout: "20 seconds" }))
    expect(peers.name).toBe("respond_peers")
    const block = await runtime.run(connected.peer.request("request_block", { height: 5, include_transaction_block: false }, { timeout: "20 seconds" }))
    expect(block).toEqual({ name: "reject_block", payload: { height: 5 } })
    const theirs = await waitFor("the target reference to list us", 10_000, async () =>
      (await connections(target)).find((c) => hexOf(c.node_id) === id.nodeIdHex)
    )
    expect(theirs).toMatchObject({ peer_host: "127.0.0.2" })
  })

  it("a raw client with a wrong network_id is closed 1002 \"110\" and banned: its next dial gets HTTP 403", async () => {
    const probe = async (name: string, extra: ReadonlyArray<string>) => {
      const out = `${artifactsDir()}/probe-${name}.jsonl`
      const args = [`${INTEROP}/probe.py`, "dial", "--host", "127.0.0.2", "--port", String(ourPort), "--source", "127.0.0.3", "--seconds", "5", "--connect-timeout", "10", "--out", out, ...extra]
      const { code } = await run(VENV_PYTHON, args, { timeoutMs: 60_000, okCodes: [0, 3] })
      return { code, events: readFileSync(out, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>) }
    }
    const first = await probe("node-network", ["--network", "testnet11"])
    expect(first.events.find((e) => e.event === "closed")).toMatchObject({ code: 1002, reason: "110" })
    const second = await probe("node-network-again", [])
    expect(second.code).toBe(3)
    expect(second.events.find((e) => e.event === "rejected")).toMatchObject({ status: 403 })
  })

  it("neither reference logs a warning or error about our node", () => {
    for (const ref of [dialing, target]) {
      expect(troubleAbout(ref.log(), ["127.0.0.2", id.nodeIdHex]), ref.name).toEqual([])
      expect(ref.log()).toContain(id.nodeIdHex)
    }
  })
})
