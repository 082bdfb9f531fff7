// Codec throughput, printed as ratios against a baseline measured in the same process and run: a plain copy of the same
// bytes (`Uint8Array.prototype.slice`, the memory ceiling). Run after `npx tsc -b`: `node bench/codec.mjs`.
//
// Workloads: the 116 official vector payloads (fixtures of packages/codec/test), a synthetic RespondBlock of more than
// 1 MB (a vector FullBlock with a ~1 MB CLVM generator with back-references, 16 sub-slots, 2000 reward claims, 2000
// generator refs), the Message envelope (data as a view vs a copy, vs the same envelope built with the combinators),
// typed `decodeMessage` on framed vectors, and the cost of the Schema boundary (`Streamable.schema`) over the fast path.
// Each figure: warm-up, then ROUNDS rounds of at least ROUND_MS each; the median round is reported.
import { readFileSync } from "node:fs"
import { Schema } from "effect"
import * as Codec from "../packages/codec/dist/Codec.js"
import * as C from "../packages/codec/dist/Combinators.js"
import * as P from "../packages/codec/dist/Primitives.js"
import { SerializedProgram } from "../packages/codec/dist/Program.js"
import * as Json from "../packages/codec/dist/Json.js"
import * as Streamable from "../packages/codec/dist/Streamable.js"
import * as Catalogue from "../packages/codec/dist/chia/Catalogue.js"
import * as Message from "../packages/codec/dist/chia/Message.js"

const ROUNDS = Number(process.env.ROUNDS ?? 9)
const ROUND_MS = Number(process.env.ROUND_MS ?? 100)
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 300)
// CPU time of this process by default: on a shared machine wall time mostly measures the neighbours. BENCH_CLOCK=wall
// for wall-clock time. (CPU time includes V8's GC helper threads, which is a real cost of decoding.)
const CLOCK = process.env.BENCH_CLOCK === "wall" ? "wall" : "cpu"
const now =
  CLOCK === "wall"
    ? () => performance.now()
    : () => {
        const { system, user } = process.cpuUsage()
        return (user + system) / 1000
      }

// ---------------------------------------------------------------------------------------------------------------------
// Measurement

let sink = 0
const keep = (v) => {
  sink = (sink + (typeof v === "object" && v !== null ? 1 : 0)) | 0
}

/**
 * Median seconds per call of each op of a group, measured one op after the other: warm-up (which also sets how many
 * calls make a round), then ROUNDS rounds. Ops are not interleaved: with large allocations an op would then mostly pay
 * for the garbage of the op before it.
 */
const measureGroup = (fns) =>
  fns.map((fn) => {
    let t0 = performance.now()
    let calls = 0
    while (performance.now() - t0 < WARMUP_MS) {
      keep(fn())
      calls++
    }
    const perRound = Math.max(1, Math.ceil((calls * ROUND_MS) / WARMUP_MS))
    const times = []
    for (let r = 0; r < ROUNDS; r++) {
      t0 = now()
      for (let i = 0; i < perRound; i++) keep(fn())
      times.push((now() - t0) / 1000 / perRound)
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
  })

const rows = []
const fmt = (n, digits = 1) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(digits)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(digits)}k` : n.toFixed(digits)

/** Records one row: `bytes` and `messages` processed per op, next to the baseline's seconds per op. */
const row = (workload, op, seconds, bytes, messages, baselineSeconds, note = "") => {
  rows.push({
    workload,
    op,
    mbps: bytes / seconds / 1e6,
    msgs: messages / seconds,
    perMsgUs: (seconds / messages) * 1e6,
    ratio: baselineSeconds === undefined ? undefined : baselineSeconds / seconds,
    note
  })
}

const printTable = () => {
  const header = ["workload", "op", "MB/s", "msg/s", "µs/msg", "× copy", "note"]
  const body = rows.map((r) => [
    r.workload,
    r.op,
    r.mbps.toFixed(r.mbps < 10 ? 2 : 0),
    fmt(r.msgs),
    r.perMsgUs < 10 ? r.perMsgUs.toFixed(2) : r.perMsgUs.toFixed(0),
    r.ratio === undefined ? "" : r.ratio >= 0.1 ? r.ratio.toFixed(2) : r.ratio.toFixed(3),
    r.note
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells) => cells.map((c, i) => (i < 2 || i === 6 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("  "))
  for (const b of body) console.log(line(b))
}

// ---------------------------------------------------------------------------------------------------------------------
// Data

const fixture = (name) => new URL(`../packages/codec/test/fixtures/chia/${name}`, import.meta.url)
const file = readFileSync(fixture("protocol_messages_bytes-v1.0"))
const index = Json.parse(readFileSync(fixture("protocol_messages.json"), "utf8"))
if (index._tag !== "Right") throw new Error("bad fixture JSON")
const vectors = []
for (let at = 0, i = 0; at < file.length; i++) {
  const length = file.readUInt32BE(at)
  const name = index.right[i].message
  const codec = Catalogue.classes[name]
  if (codec === undefined) throw new Error(`no codec for ${name}`)
  // A plain Uint8Array copy (not a view of the file's Buffer), as a transport would hand over.
  vectors.push({ name, codec, bytes: new Uint8Array(file.subarray(at + 4, at + 4 + length)) })
  at += 4 + length
}
const vectorBytes = vectors.reduce((n, v) => n + v.bytes.length, 0)
const vectorValues = vectors.map((v) => Codec.decodeUnsafe(v.codec, v.bytes))

/** A ~`size`-byte CLVM list of 32-byte atoms where every other item is a back-reference to the atom before it. */
const bigGenerator = (size, backrefs = true) => {
  const atom = 1 + 32
  const pairs = Math.floor(size / (2 + atom + 2))
  const out = new Uint8Array(pairs * (2 + atom + 2) + 1)
  let p = 0
  for (let i = 0; i < pairs; i++) {
    out[p++] = 0xff
    out[p++] = 0xa0 // atom of 32 bytes
    for (let k = 0; k < 32; k++) out[p++] = (i * 7 + k * 13) & 0xff
    out[p++] = 0xff
    // a back-reference, path 0b10: the first item of the parse stack = the atom just read; or a 1-byte atom `81 05`
    out[p++] = backrefs ? 0xfe : 0x81
    out[p++] = backrefs ? 0x02 : 0x05
  }
  out[p++] = 0x80
  return out.subarray(0, p)
}

const respondBlockIndex = vectors.findIndex((v) => v.name === "RespondBlock")
const vectorBlock = vectorValues[respondBlockIndex].block
const generator = bigGenerator(1 << 20)
const plainGenerator = bigGenerator(1 << 20, false)
const coins = vectorBlock.transactions_info.reward_claims_incorporated
const bigBlock = {
  ...vectorBlock,
  finished_sub_slots: Array.from({ length: 16 }, () => vectorBlock.finished_sub_slots[0]),
  transactions_info: {
    ...vectorBlock.transactions_info,
    reward_claims_incorporated: Array.from({ length: 2000 }, (_, i) => ({ ...coins[i % coins.length], amount: BigInt(i) }))
  },
  transactions_generator: generator,
  transactions_generator_ref_list: Array.from({ length: 2000 }, (_, i) => i * 3)
}
const RespondBlock = Catalogue.classes.RespondBlock
const bigValue = { block: bigBlock }
const bigBytes = Codec.encodeUnsafe(RespondBlock, bigValue)
if (bigBytes.length < 1 << 20) throw new Error("synthetic block is under 1 MB")
const bigDecoded = Codec.decodeUnsafe(RespondBlock, bigBytes)
if (Buffer.compare(Codec.encodeUnsafe(RespondBlock, bigDecoded), bigBytes) !== 0) throw new Error("big block round trip")

// Frames of every vector whose class is a message payload (for the envelope and typed decode).
const typeOf = new Map()
for (let t = 0; t < 256; t++) {
  const codec = Catalogue.payloadCodecFor(t)
  if (codec !== undefined && !typeOf.has(codec.name)) typeOf.set(codec.name, t)
}
const frames = vectors
  .filter((v) => typeOf.has(v.name))
  .map((v, i) => Message.encodeFrame({ type: typeOf.get(v.name), id: i, data: v.bytes }).right)
const frameBytes = frames.reduce((n, f) => n + f.length, 0)
const bigFrame = Message.encodeFrame({ type: 27, id: 1, data: bigBytes }).right
const smallFrame = Uint8Array.from(Buffer.from("1a0100050000000528" + "76952a00", "hex"))

// ---------------------------------------------------------------------------------------------------------------------
// Runs

const copyAll = (list) => () => {
  let last
  for (let i = 0; i < list.length; i++) last = list[i].slice()
  return last
}

console.log(
  `peerwire codec bench — node ${process.version}, ${vectors.length} vectors (${vectorBytes} B), ` +
    `RespondBlock ${(bigBytes.length / 1e6).toFixed(2)} MB (generator ${(generator.length / 1e6).toFixed(2)} MB), ` +
    `${ROUNDS} rounds × ~${ROUND_MS} ms per op, median, ${CLOCK} time`
)
const started = performance.now()

const signed = (x, digits = 0) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`

/** Measures `ops` ([op, fn, note?]) interleaved; the first is the baseline. */
const group = (workload, bytes, messages, ops) => {
  const seconds = measureGroup(ops.map(([, fn]) => fn))
  ops.forEach(([op, , note], k) => {
    row(workload, op, seconds[k], bytes, messages, seconds[0], typeof note === "function" ? note(seconds) : note ?? "")
  })
  return seconds
}

const forEachVector = (f) => () => {
  let last
  for (let i = 0; i < vectors.length; i++) last = f(i)
  return last
}

// Vector set
const schemaDecoders = vectors.map((v) => Schema.decodeSync(Streamable.schema(v.codec)))
const schemaEncoders = vectors.map((v) => Schema.encodeSync(Streamable.schema(v.codec)))
const schemaValues = vectors.map((v, i) => schemaDecoders[i](v.bytes))
const perMsgNs = (a, b) => (seconds) =>
  `${signed(((seconds[a] - seconds[b]) / vectors.length) * 1e9)} ns/msg vs ${b === 1 ? "decode" : "encode"}`
group("116 vectors", vectorBytes, vectors.length, [
  ["copy (baseline)", copyAll(vectors.map((v) => v.bytes))],
  ["decode", forEachVector((i) => Codec.decodeUnsafe(vectors[i].codec, vectors[i].bytes))],
  ["encode", forEachVector((i) => Codec.encodeUnsafe(vectors[i].codec, vectorValues[i]))],
  ["decode via Schema", forEachVector((i) => schemaDecoders[i](vectors[i].bytes)), perMsgNs(3, 1)],
  ["encode via Schema", forEachVector((i) => schemaEncoders[i](schemaValues[i])), perMsgNs(4, 2)]
])

// Typed messages
group(`${frames.length} frames`, frameBytes, frames.length, [
  ["copy (baseline)", copyAll(frames)],
  ["decodeMessage", () => {
    let last
    for (let i = 0; i < frames.length; i++) last = Catalogue.decodeMessage(frames[i])
    return last
  }, "envelope + catalogue payload"]
])

// Big block
const bigSchemaDecode = Schema.decodeSync(Streamable.schema(RespondBlock))
group("RespondBlock 1MB+", bigBytes.length, 1, [
  ["copy (baseline)", () => bigBytes.slice()],
  ["decode", () => Codec.decodeUnsafe(RespondBlock, bigBytes)],
  ["encode", () => Codec.encodeUnsafe(RespondBlock, bigDecoded)],
  ["decode via Schema", () => bigSchemaDecode(bigBytes), (s) => `${signed((s[3] / s[1] - 1) * 100, 1)}% vs decode`]
])
group("generator 1MB", generator.length, 1, [
  ["copy (baseline)", () => generator.slice()],
  ["decode (scan+backrefs)", () => Codec.decodeUnsafe(SerializedProgram, generator), "CLVM extent + back-ref validation"],
  ["decode, no backrefs", () => Codec.decodeUnsafe(SerializedProgram, plainGenerator), "same size, scan only"]
])

// Envelope
const MessageStruct = C.struct("Message", { type: P.uint8, id: C.optional(P.uint16), data: P.bytes })
group("Message 13 B", smallFrame.length, 1, [
  ["copy (baseline)", () => smallFrame.slice()],
  ["decodeFrame (view)", () => Message.decodeFrame(smallFrame)],
  ["decodeFrame + copy data", () => Message.decodeFrame(smallFrame).right.data.slice()],
  ["struct combinator", () => Codec.decodeUnsafe(MessageStruct, smallFrame), "copies data"]
])
group("Message 1MB+", bigFrame.length, 1, [
  ["copy (baseline)", () => bigFrame.slice()],
  ["decodeFrame (view)", () => Message.decodeFrame(bigFrame), "zero-copy: cost independent of size"],
  ["decodeFrame + copy data", () => Message.decodeFrame(bigFrame).right.data.slice()],
  ["decodeMessage", () => Catalogue.decodeMessage(bigFrame), "envelope + RespondBlock"]
])

printTable()
const elapsed = ((performance.now() - started) / 1000).toFixed(1)
console.log(`(${elapsed} s; × copy = throughput ÷ the copy baseline's; sink ${sink & 1})`)
