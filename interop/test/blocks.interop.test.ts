/**
 * Scenario 4, real blocks: a reference simulator node (simulator0, a private chain) with our peer connected (from
 * 127.0.0.2) while it farms 5 blocks; we fetch them with request_blocks and request_block, decode them with our codec,
 * check that re-encoding gives the bytes its RPC returns, and cross-decode every frame of the run with chia_rs and the
 * Python streamable classes. The chain (length-prefixed FullBlock records) and the frames are kept in the artifacts
 * for bench/codec-vs-reference.mjs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { copyFileSync, readFileSync, writeFileSync } from "node:fs"
import { encodeUnsafe } from "@peerwire/codec/Codec"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { FullBlock } from "@peerwire/codec/chia/types/blocks"
import { Transport } from "@peerwire/transport"
import { ChiaPeer } from "@peerwire/peer"
import { artifactsDir, INTEROP, run, VENV_PYTHON, waitFor } from "./support/env.js"
import { crossDecode } from "./support/crossDecode.js"
import { honestHandlers, makeIdentity, type OurIdentity } from "./support/ourNode.js"
import { makeFrameLog, recording } from "./support/recording.js"
import { type Reference, startReference, troubleAbout } from "./support/reference.js"
import { makeRuntime } from "./support/runtime.js"
import { type SourceProxy, startSourceProxy } from "./support/sourceProxy.js"

const BLOCKS = 5
const runtime = makeRuntime()
const capture = makeFrameLog("simulator")
let ref: Reference
let proxy: SourceProxy
let id: OurIdentity
let peer: ChiaPeer.ChiaPeer
let peak: number
/** The chain as the reference's RPC returns it: one FullBlock serialisation per height. */
let rpcBlocks: ReadonlyArray<Uint8Array>

const readRecords = (path: string): ReadonlyArray<Uint8Array> => {
  const file = new Uint8Array(readFileSync(path))
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const out: Array<Uint8Array> = []
  for (let pos = 0; pos < file.length && out.length < 10_000;) {
    const n = view.getUint32(pos)
    out.push(file.subarray(pos + 4, pos + 4 + n))
    pos += 4 + n
  }
  return out
}
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

beforeAll(async () => {
  id = await runtime.run(makeIdentity)
  ref = await startReference({ name: "simulator", simulator: true, maxSeconds: 300 })
  proxy = await startSourceProxy({ host: "127.0.0.1", port: ref.port }, "127.0.0.2")
})

afterAll(async () => {
  capture.save(artifactsDir())
  await runtime.close()
  await proxy?.close()
  await ref?.stop()
})

describe("real blocks from a reference simulator", () => {
  it("our peer connects on simulator0 and stays connected while the reference farms 5 blocks", async () => {
    peer = await runtime.run(
      Effect.gen(function*() {
        const transport = yield* Transport
        const connection = yield* transport.dial({ host: "127.0.0.1", port: proxy.port }, { tls: id.tls })
        return yield* ChiaPeer.fromConnection(recording(connection, capture), "dialer", {
          networkId: "simulator0",
          nodeType: NodeType.FULL_NODE,
          handlers: honestHandlers,
          config: { heartbeat: { interval: "3 seconds", timeout: "2 seconds" } }
        })
      }).pipe(Effect.timeout("30 seconds"))
    )
    expect(peer.info.networkId).toBe("simulator0")
    const dump = `${artifactsDir()}/simulator-blocks.bin`
    const { stdout } = await run(VENV_PYTHON, [`${INTEROP}/sim_farm.py`, ref.root, "--blocks", String(BLOCKS), "--dump", dump], { timeoutMs: 180_000 })
    const farmed = JSON.parse(stdout.trim().split("\n").at(-1)!) as { height: number; dumped: number }
    peak = farmed.height
    rpcBlocks = readRecords(dump)
    expect(rpcBlocks.length).toBe(farmed.dumped)
    expect(peak).toBeGreaterThanOrEqual(BLOCKS - 1)
    // The reference announces its new peaks to us as they are made.
    await waitFor("a new_peak announcement at the final height", 20_000, () =>
      capture.frames.find((f) => f.dir === "in" && f.typeName === "new_peak" && new DataView(f.bytes.buffer, f.bytes.byteOffset).getUint32(6 + 32) === peak)
    )
    expect(await runtime.run(peer.isClosed)).toBe(false)
  })

  it("request_blocks returns every block; our codec decodes them and re-encodes the reference's exact bytes", async () => {
    const reply = await runtime.run(
      peer.request("request_blocks", { start_height: 0, end_height: peak, include_transaction_block: true }, { timeout: "30 seconds" })
    )
    expect(reply.name).toBe("respond_blocks")
    if (reply.name !== "respond_blocks") return
    expect(reply.payload.blocks.length).toBe(peak + 1)
    reply.payload.blocks.forEach((block, height) => {
      expect(block.reward_chain_block.height).toBe(height)
      expect(hex(encodeUnsafe(FullBlock, block))).toBe(hex(rpcBlocks[height]!))
    })
    writeFileSync(`${artifactsDir()}/simulator-respond_blocks.bin`, capture.frames.findLast((f) => f.typeName === "respond_blocks")!.bytes)
  })

  it("request_block for each height returns that block; past the peak it is rejected", async () => {
    for (let height = 0; height <= peak; height++) {
      const reply = await runtime.run(peer.request("request_block", { height, include_transaction_block: true }, { timeout: "20 seconds" }))
      expect(reply.name).toBe("respond_block")
      if (reply.name === "respond_block") expect(hex(encodeUnsafe(FullBlock, reply.payload.block))).toBe(hex(rpcBlocks[height]!))
    }
    const past = await runtime.run(peer.request("request_block", { height: peak + 10, include_transaction_block: false }, { timeout: "20 seconds" }))
    expect(past).toEqual({ name: "reject_block", payload: { height: peak + 10 } })
    const range = await runtime.run(peer.request("request_blocks", { start_height: peak + 1, end_height: peak + 3, include_transaction_block: false }, { timeout: "20 seconds" }))
    expect(range).toEqual({ name: "reject_blocks", payload: { start_height: peak + 1, end_height: peak + 3 } })
  })

  it("every frame of the run decodes the same with our codec and with chia_rs / Python streamable", async () => {
    const frames = capture.frames
    const inbound = new Set(frames.filter((f) => f.dir === "in").map((f) => f.typeName))
    for (const t of ["handshake", "new_peak", "respond_blocks", "respond_block", "reject_block", "reject_blocks"]) expect(inbound).toContain(t)
    const report = await crossDecode(frames.map((f) => f.bytes), `${artifactsDir()}/frames-simulator.hex`)
    writeFileSync(`${artifactsDir()}/crossdecode-simulator.json`, JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 1))
    expect(report.problems).toEqual([])
    expect(report.agreed).toBe(frames.length)
    copyFileSync(`${artifactsDir()}/frames-simulator.hex`, `${artifactsDir()}/simulator-frames.hex`)
  })

  it("the reference's log has no warning or error about us", () => {
    expect(troubleAbout(ref.log(), ["127.0.0.2", id.nodeIdHex])).toEqual([])
    expect(ref.log()).toContain(id.nodeIdHex)
  })
})
