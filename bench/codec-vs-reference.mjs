// Decode throughput of our codec next to the reference's decoders, on the same bytes, as ratios measured in the same run:
// chia_rs 0.48 (Rust, called from Python; with and without its BLS point checks — ours keeps points as bytes) and, where chia-blockchain 2.7.5 still defines the class in Python, its Python
// streamable. Run after `npx tsc -b` and `npm run test:interop` (for the real blocks):
//   node bench/codec-vs-reference.mjs [--artifacts .interop/artifacts/<run>]
// Workloads:
//   vectors  the 116 official protocol vectors (packages/codec/test/fixtures/chia/), payload classes by name
//   blocks   the FullBlock records a reference simulator made in the interop run (simulator-blocks.bin, via its RPC)
//   frames   every frame of the interop simulator run (simulator-frames.hex): Message envelope + payload class
// Each figure: warm-up, then ROUNDS rounds of at least ROUND_MS; the median is reported. Python side: interop/bench_decode.py.
// Python times include the interpreter's call overhead per item — that is what a Python node pays too.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as Codec from "../packages/codec/dist/Codec.js"
import * as Json from "../packages/codec/dist/Json.js"
import * as Catalogue from "../packages/codec/dist/chia/Catalogue.js"

const ROUNDS = Number(process.env.ROUNDS ?? 7)
const ROUND_MS = Number(process.env.ROUND_MS ?? 150)
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 400)
const repo = fileURLToPath(new URL("..", import.meta.url))
const python = `${repo}.interop/venv/bin/python`

const fail = (message) => {
  console.error(`codec-vs-reference: ${message}`)
  process.exit(1)
}

// ---------------------------------------------------------------------------------------------------------------------
// Inputs

const argIndex = process.argv.indexOf("--artifacts")
const artifactsRoot = `${repo}.interop/artifacts`
const artifacts =
  argIndex > 0
    ? process.argv[argIndex + 1]
    : existsSync(artifactsRoot)
      ? readdirSync(artifactsRoot)
          .sort()
          .reverse()
          .map((d) => `${artifactsRoot}/${d}`)
          .find((d) => existsSync(`${d}/simulator-blocks.bin`) && existsSync(`${d}/simulator-frames.hex`))
      : undefined
if (!existsSync(python)) fail(`no reference venv at ${python}: run \`bash interop/setup.sh\``)
if (artifacts === undefined || !existsSync(`${artifacts}/simulator-blocks.bin`)) {
  fail(`no interop artifacts with simulator-blocks.bin under ${artifactsRoot}: run \`npm run test:interop\` first (or pass --artifacts DIR)`)
}

const records = (buffer) => {
  const out = []
  for (let at = 0; at < buffer.length && out.length < 100_000;) {
    const n = buffer.readUInt32BE(at)
    if (n > buffer.length - at - 4) fail(`bad record length ${n} at ${at}`)
    out.push(new Uint8Array(buffer.subarray(at + 4, at + 4 + n)))
    at += 4 + n
  }
  return out
}

const fixture = (name) => readFileSync(new URL(`../packages/codec/test/fixtures/chia/${name}`, import.meta.url))
const index = Json.parse(fixture("protocol_messages.json").toString("utf8"))
if (index._tag !== "Right") fail("bad protocol_messages.json")
const vectorBytes = records(fixture("protocol_messages_bytes-v1.0"))
const blockBytes = records(readFileSync(`${artifacts}/simulator-blocks.bin`))
const frameBytes = readFileSync(`${artifacts}/simulator-frames.hex`, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => new Uint8Array(Buffer.from(l.trim(), "hex")))

const classCodec = (name) => Catalogue.classes[name] ?? fail(`our codec has no class ${name}`)
const workloads = [
  {
    id: "vectors",
    envelope: false,
    items: vectorBytes.map((bytes, i) => ({ cls: index.right[i].message, bytes })),
    ours: (item) => Codec.decodeUnsafe(item.codec, item.bytes)
  },
  { id: "blocks", envelope: false, items: blockBytes.map((bytes) => ({ cls: "FullBlock", bytes })), ours: (item) => Codec.decodeUnsafe(item.codec, item.bytes) },
  {
    id: "frames",
    envelope: true,
    items: frameBytes.map((bytes) => ({ cls: null, bytes })),
    ours: (item) => {
      const m = Catalogue.decodeMessage(item.bytes)
      if (m._tag !== "Right") throw new Error(m.left.message)
      return m.right
    }
  }
]
for (const w of workloads) for (const item of w.items) if (item.cls !== null) item.codec = classCodec(item.cls)

// ---------------------------------------------------------------------------------------------------------------------
// Ours

let sink = 0
/** Median seconds per pass over `items`. */
const measure = (items, decode) => {
  const pass = () => {
    for (const item of items) sink = (sink + (decode(item) === undefined ? 0 : 1)) | 0
  }
  let t0 = performance.now()
  let passes = 0
  while (performance.now() - t0 < WARMUP_MS || passes === 0) {
    pass()
    passes++
  }
  const perRound = Math.max(1, Math.round((passes * ROUND_MS) / WARMUP_MS))
  const times = []
  for (let r = 0; r < ROUNDS; r++) {
    t0 = performance.now()
    for (let i = 0; i < perRound; i++) pass()
    times.push((performance.now() - t0) / 1000 / perRound)
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

// ---------------------------------------------------------------------------------------------------------------------
// Theirs

const job = {
  rounds: ROUNDS,
  round_ms: ROUND_MS,
  warmup_ms: WARMUP_MS,
  workloads: workloads.map((w) => ({ id: w.id, envelope: w.envelope, items: w.items.map((it) => ({ cls: it.cls, hex: Buffer.from(it.bytes).toString("hex") })) }))
}
let theirs
try {
  theirs = JSON.parse(execFileSync(python, [`${repo}interop/bench_decode.py`], { input: JSON.stringify(job), maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }).toString())
} catch (e) {
  fail(`${python} interop/bench_decode.py failed: ${e.stderr?.toString() ?? e}`)
}

// ---------------------------------------------------------------------------------------------------------------------
// Table

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0))
const rows = []
// Ours is measured once per distinct subset, so rows over the same items share one figure.
const oursCache = new Map()
for (const w of workloads) {
  for (const r of theirs.results.filter((x) => x.id === w.id)) {
    if (r.count === 0) {
      rows.push([w.id, r.decoder, "0", "", "", "", "", "", "", "no class for any item"])
      continue
    }
    const subset = r.indices.map((i) => w.items[i])
    const bytes = subset.reduce((n, it) => n + it.bytes.length, 0)
    const key = `${w.id}:${r.indices.join(",")}`
    if (!oursCache.has(key)) oursCache.set(key, measure(subset, w.ours))
    const ours = oursCache.get(key)
    rows.push([
      w.id,
      r.decoder,
      String(r.count),
      (bytes / 1e3).toFixed(1),
      fmt(r.count / ours),
      fmt(r.count / r.seconds),
      (bytes / ours / 1e6).toFixed(1),
      (bytes / r.seconds / 1e6).toFixed(1),
      (r.seconds / ours).toFixed(2),
      [
        r.count + r.rejected.length < w.items.length ? `${w.items.length - r.count - r.rejected.length} without a ${r.decoder} class` : "",
        r.rejected.length > 0 ? `${r.rejected.length} refused by ${r.decoder}` : ""
      ].filter((x) => x !== "").join(", ")
    ])
  }
}
const header = ["workload", "vs", "items", "kB", "ours msg/s", "theirs msg/s", "ours MB/s", "theirs MB/s", "ours ÷ theirs", "note"]
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
const line = (cells) => cells.map((c, i) => (i < 2 || i === 9 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
console.log(`codec-vs-reference: ours (node ${process.version}) vs ${Object.entries(theirs.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`)
console.log(`artifacts: ${artifacts}`)
console.log(
  `vs rs = chia_rs from_bytes (checks every BLS point), rs_unchecked = chia_rs from_bytes_unchecked (no point checks, like ours),\n` +
    `py = chia's Python @streamable classes (a subset of classes). "ours ÷ theirs" > 1: we are faster.`
)
console.log(line(header))
console.log(widths.map((w) => "-".repeat(w)).join("  "))
for (const r of rows) console.log(line(r))
const refused = theirs.results.flatMap((r) => r.rejected.map((x) => `  ${r.id}/${r.decoder} ${x}`))
if (refused.length > 0) console.log(`refused by the reference's decoders (left out of its timing; ours decodes them):\n${refused.join("\n")}`)
if (sink === 42) console.log("")
