/**
 * The built `peerwire` bin as a child process: decode/encode of official vectors (fixtures of the codec package, origin
 * noted in `packages/codec/test/fixtures/chia/README.md`), round trips, the Message envelope, and one-line errors with
 * exit code 1.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { parse } from "lossless-json"
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const fixture = (name: string) => new URL(`../../codec/test/fixtures/chia/${name}`, import.meta.url)

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the bin asynchronously (a synchronous spawn would block the test worker's event loop for the whole test). */
const peerwire = (args: ReadonlyArray<string>, stdin?: string): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["pipe", "pipe", "pipe"], timeout: 60_000 })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (status) => resolve({ status, stdout, stderr }))
    child.stdin.end(stdin ?? "")
  })

/** Vector records and their JSON (integers as bigints, as the CLI prints them exactly). */
const records = ((): ReadonlyArray<{ readonly message: string; readonly hex: string; readonly json: unknown }> => {
  const file = readFileSync(fixture("protocol_messages_bytes-v1.0"))
  const index = parse(readFileSync(fixture("protocol_messages.json"), "utf8")) as ReadonlyArray<{
    readonly message: string
    readonly json: unknown
  }>
  const out: Array<{ message: string; hex: string; json: unknown }> = []
  for (let at = 0, i = 0; at < file.length; i++) {
    const length = file.readUInt32BE(at)
    out.push({ message: index[i]!.message, hex: file.subarray(at + 4, at + 4 + length).toString("hex"), json: index[i]!.json })
    at += 4 + length
  }
  return out
})()

/** Compares JSON texts by value with every number as an exact bigint (lossless-json keeps the digits). */
const normalise = (json: unknown): unknown => {
  if (json !== null && typeof json === "object" && "isLosslessNumber" in json) return BigInt(String(json))
  if (Array.isArray(json)) return json.map(normalise)
  if (typeof json === "object" && json !== null) {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, normalise(v)]))
  }
  return json
}
const jsonOf = (text: string): unknown => normalise(parse(text))

/** Spawning the bin costs ~0.5 s of module loading; on a loaded machine a test of many runs needs more than 30 s. */
const TIMEOUT = 180_000

beforeAll(async () => {
  // The tests run the compiled bin; `tsc -b` is incremental, so this is quick when the tree is already built.
  const tsc = fileURLToPath(new URL("node_modules/typescript/bin/tsc", `file://${root}`))
  const output = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [tsc, "-b"], { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 })
    let text = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (text += chunk))
    child.on("close", () => resolve(text))
  })
  if (!existsSync(bin)) throw new Error(`build failed:\n${output}`)
}, 240_000)

describe("peerwire decode / encode", () => {
  it("decodes vectors to the reference JSON and encodes them back", async () => {
    await Promise.all(
      [12, 30, 38, 113].map(async (index) => {
        const { hex, json, message } = records[index]!
        const decoded = await peerwire(["decode", message, hex])
        expect(decoded.stderr).toBe("")
        expect(decoded.status).toBe(0)
        expect(jsonOf(decoded.stdout)).toEqual(normalise(json))
        const encoded = await peerwire(["encode", message, decoded.stdout])
        expect(encoded.status).toBe(0)
        expect(encoded.stdout.trim()).toBe(hex)
      })
    )
  }, TIMEOUT)

  it("reads stdin for '-', accepts 0x and whitespace, round-trips a full block", async () => {
    const block = records.findIndex((r) => r.message === "RespondBlock")
    const { hex, json } = records[block]!
    const spaced = "0x" + hex.replace(/(.{64})/g, "$1\n  ")
    const decoded = await peerwire(["decode", "--compact", "RespondBlock", "-"], spaced)
    expect(decoded.status).toBe(0)
    expect(decoded.stdout.trim().split("\n")).toHaveLength(1)
    expect(jsonOf(decoded.stdout)).toEqual(normalise(json))
    const encoded = await peerwire(["encode", "RespondBlock", "-"], decoded.stdout)
    expect(encoded.status).toBe(0)
    expect(encoded.stdout.trim()).toBe(hex)
  }, TIMEOUT)

  it("decodes and encodes whole Message envelopes", async () => {
    const decoded = await peerwire(["decode", "--message", "1a 01 0005 00000005 2876952a00"])
    expect(decoded.status).toBe(0)
    expect(jsonOf(decoded.stdout)).toEqual({
      type: 26n,
      name: "request_block",
      id: 5n,
      data: { height: 678860074n, include_transaction_block: false }
    })
    expect((await peerwire(["encode", "--message", decoded.stdout])).stdout.trim()).toBe("1a01000500000005" + "2876952a00")
    // chia-messages.md §E.1, the 71-byte handshake
    const handshake = (
      "01 00 00000041 00000007 6d61696e6e6574 00000006 302e302e3336 00000005 322e352e30 20fc 01 00000004 " +
      "0001 00000001 31 0002 00000001 31 0003 00000001 31 0005 00000001 31"
    ).replace(/ /g, "")
    const hs = await peerwire(["decode", "-m", handshake])
    expect(hs.status).toBe(0)
    expect(jsonOf(hs.stdout)).toMatchObject({ type: 1n, name: "handshake", id: null })
    expect((await peerwire(["encode", "-m", "-"], hs.stdout)).stdout.trim()).toBe(handshake)
    const peers = await peerwire(["decode", "--message", "2b 00 00000000"])
    expect(jsonOf(peers.stdout)).toEqual({ type: 43n, name: "request_peers", id: null, data: {} })
  }, TIMEOUT)

  it("fails with one line naming the field and offset, and exit code 1", async () => {
    const [cut, frame, unknownType, hex, json, range, badJson] = await Promise.all([
      peerwire(["decode", "RespondPeers", "00000001 00000009 3132372e302e302e31 20fc 00000000"]),
      peerwire(["decode", "--message", "1a 01 0005 00000005 2876952a02"]),
      peerwire(["decode", "--message", "ee 00 00000000"]),
      peerwire(["decode", "RequestBlock", "2876952g00"]),
      peerwire(["encode", "RequestBlock", `{"height": 1}`]),
      peerwire(["encode", "RequestBlock", `{"height": 4294967296, "include_transaction_block": true}`]),
      peerwire(["encode", "RequestBlock", `{"height": 1,`])
    ])
    for (const run of [cut, frame, unknownType, hex, json, range, badJson]) {
      expect(run.status).toBe(1)
      expect(run.stdout).toBe("")
      expect(run.stderr.trim().split("\n")).toHaveLength(1)
      expect(run.stderr).toMatch(/^error: /)
    }
    expect(cut.stderr).toContain("Truncated in RespondPeers.peer_list[0].timestamp at offset 19")
    expect(frame.stderr).toContain("InvalidBool")
    expect(frame.stderr).toContain("include_transaction_block")
    expect(unknownType.stderr).toContain("UnknownMessageType")
    expect(hex.stderr.trim()).toBe(`error: not hex: unexpected "g" at character 7`)
    expect(json.stderr).toContain(`missing field "include_transaction_block"`)
    expect(range.stderr).toContain("RequestBlock.height")
    expect(badJson.stderr).toContain("invalid JSON")
  }, TIMEOUT)

  it("names close matches for an unknown class", async () => {
    const run = await peerwire(["decode", "respondblock", "00"])
    expect(run.status).toBe(1)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(run.stderr).toContain(`unknown class "respondblock"`)
    expect(run.stderr).toContain("RespondBlock")
    expect((await peerwire(["encode", "FullBlok", "{}"])).stderr).toContain("FullBlock")
  }, TIMEOUT)

  it("has --help on the root and on each subcommand, and rejects bad arguments", async () => {
    const helps = await Promise.all([["--help"], ["decode", "--help"], ["encode", "--help"]].map((args) => peerwire(args)))
    for (const run of helps) {
      expect(run.status).toBe(0)
      expect(run.stdout).toContain("USAGE")
    }
    expect(helps[1]!.stdout).toContain("--message")
    expect(helps[2]!.stdout).toContain("<json|->")
    const bad = await Promise.all([["decode"], ["decode", "--message", "a", "b"], ["frobnicate"]].map((args) => peerwire(args)))
    for (const run of bad) expect(run.status).toBe(1)
  }, TIMEOUT)
})
