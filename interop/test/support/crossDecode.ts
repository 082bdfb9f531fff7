/**
 * Decodes the same frames with our codec (`Catalogue.decodeMessage` → payload codec `toJson`) and with the reference's
 * own decoders (chia_rs and the Python streamable classes, via interop/decode_rs.py), and compares the JSON field by field.
 *
 * Comparison: integers compare as bigint whatever their width (uint8 7 = uint64 7); objects by key (order ignored),
 * arrays element by element. One convention differs and is normalised, and counted: chia_rs prints empty bytes as `""`,
 * we and Python's streamable print `"0x"`.
 */
import { Either } from "effect"
import { writeFileSync } from "node:fs"
import { decodeMessage, payloadCodecOf } from "@peerwire/codec/chia/Catalogue"
import * as JsonText from "@peerwire/codec/Json"
import { INTEROP, run, VENV_PYTHON } from "./env.js"

export interface Difference {
  readonly path: string
  readonly ours: unknown
  readonly theirs: unknown
}

export interface FrameVerdict {
  readonly index: number
  readonly typeName: string
  readonly className: string | undefined
  /** Our decoding, or the error. */
  readonly ours: { readonly ok: true; readonly json: unknown } | { readonly ok: false; readonly error: string }
  /** Per reference decoder ("rs", "py") that has a class: ok + differences, or its error. */
  readonly theirs: Record<string, { readonly ok: boolean; readonly error?: string; readonly differences: ReadonlyArray<Difference> }>
}

export interface CrossDecodeReport {
  readonly frames: number
  readonly verdicts: ReadonlyArray<FrameVerdict>
  /** Frames compared with each decoder and found equal. */
  readonly equal: { readonly rs: number; readonly py: number }
  /** Frames that at least one reference decoder decoded and every decoder that did agreed with ours. */
  readonly agreed: number
  /** `""` → `"0x"` normalisations applied on the reference side, per decoder. */
  readonly emptyBytesNormalised: { readonly rs: number; readonly py: number }
  readonly problems: ReadonlyArray<string>
}

const DECODE_TIMEOUT_MS = 120_000

const normalise = (json: unknown, counter: { n: number }): unknown => {
  if (typeof json === "number" && Number.isInteger(json)) return BigInt(json)
  if (json === "") {
    counter.n++
    return "0x"
  }
  if (Array.isArray(json)) return json.map((j) => normalise(j, counter))
  if (typeof json === "object" && json !== null) {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, normalise(v, counter)]))
  }
  return json
}

const compare = (ours: unknown, theirs: unknown, path: string, out: Array<Difference>): void => {
  if (out.length >= 20) return
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    if (ours.length !== theirs.length) out.push({ path: `${path}.length`, ours: ours.length, theirs: theirs.length })
    for (let i = 0; i < Math.min(ours.length, theirs.length); i++) compare(ours[i], theirs[i], `${path}[${i}]`, out)
    return
  }
  if (typeof ours === "object" && ours !== null && typeof theirs === "object" && theirs !== null && !Array.isArray(ours) && !Array.isArray(theirs)) {
    const a = ours as Record<string, unknown>
    const b = theirs as Record<string, unknown>
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a)) out.push({ path: `${path}.${k}`, ours: "<missing>", theirs: b[k] })
      else if (!(k in b)) out.push({ path: `${path}.${k}`, ours: a[k], theirs: "<missing>" })
      else compare(a[k], b[k], `${path}.${k}`, out)
    }
    return
  }
  if (ours !== theirs) out.push({ path, ours, theirs })
}

const show = (v: unknown): string => {
  const text = typeof v === "bigint" ? v.toString() : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x))
  return text === undefined ? String(v) : text.length > 120 ? `${text.slice(0, 120)}…` : text
}

/** Cross-decodes whole frames (Message envelopes). `workFile` receives the hex lines handed to decode_rs.py. */
export const crossDecode = async (frames: ReadonlyArray<Uint8Array>, workFile: string): Promise<CrossDecodeReport> => {
  writeFileSync(workFile, frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n")
  const { stdout } = await run(
    VENV_PYTHON,
    [`${INTEROP}/decode_rs.py`, workFile, "--format", "hex", "--envelope", "--decoder", "both"],
    { timeoutMs: DECODE_TIMEOUT_MS }
  )
  const theirLines = new Map<string, Record<string, unknown>>()
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue
    const parsed = Either.getOrThrow(JsonText.parse(line)) as Record<string, unknown>
    theirLines.set(`${String(parsed.index)}/${String(parsed.decoder)}`, parsed)
  }
  const equal = { rs: 0, py: 0 }
  const emptyBytesNormalised = { rs: 0, py: 0 }
  const problems: Array<string> = []
  const verdicts = frames.map((frame, index): FrameVerdict => {
    const decoded = decodeMessage(frame)
    let ours: FrameVerdict["ours"]
    let typeName = `type_${frame[0]}`
    let className: string | undefined
    if (Either.isRight(decoded)) {
      typeName = decoded.right.name
      const codec = payloadCodecOf(decoded.right.name)
      className = codec.name
      ours = { ok: true, json: codec.toJson(decoded.right.payload as never) }
    } else {
      ours = { ok: false, error: decoded.left.message }
      problems.push(`#${index} ${typeName}: our codec failed: ${decoded.left.message}`)
    }
    const theirs: FrameVerdict["theirs"] = {}
    for (const decoder of ["rs", "py"] as const) {
      const line = theirLines.get(`${index}/${decoder}`)
      if (line === undefined) {
        if (decoder === "rs") problems.push(`#${index} ${typeName}: no output from decode_rs.py (${decoder})`)
        continue
      }
      if (line.ok !== true) {
        // decode_rs.py reports "no such class" when a decoder has none for this name (e.g. py for chia_rs-only types).
        if (line.error === "no such class") continue
        theirs[decoder] = { ok: false, error: String(line.error), differences: [] }
        problems.push(`#${index} ${typeName}: ${decoder} failed: ${String(line.error)}`)
        continue
      }
      if (!ours.ok) continue
      const counter = { n: 0 }
      const differences: Array<Difference> = []
      compare(normalise(ours.json, { n: 0 }), normalise(line.json, counter), typeName, differences)
      emptyBytesNormalised[decoder] += counter.n
      theirs[decoder] = { ok: true, differences }
      if (differences.length === 0) equal[decoder]++
      else {
        problems.push(
          `#${index} ${typeName} vs ${decoder}: ` +
            differences.slice(0, 5).map((d) => `${d.path}: ours ${show(d.ours)} ≠ ${show(d.theirs)}`).join("; ")
        )
      }
    }
    if (!("rs" in theirs) && !("py" in theirs) && ours.ok) problems.push(`#${index} ${typeName}: no reference decoder has class ${className}`)
    return { index, typeName, className, ours, theirs }
  })
  const agreed = verdicts.filter((v) => {
    const results = Object.values(v.theirs)
    return v.ours.ok && results.length > 0 && results.every((r) => r.ok && r.differences.length === 0)
  }).length
  return { frames: frames.length, verdicts, equal, agreed, emptyBytesNormalised, problems }
}
