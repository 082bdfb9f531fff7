/**
 * The built `peerwire` bin as a child process: decode/encode of official vectors (fixtures of the codec package, origin
 * noted in `packages/codec/test/fixtures/chia/README.md`), round trips, the Message envelope, and one-line errors with
 * exit code 1.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { parse } from "lossless-json"
import { spawnSync } from "node:child_process"
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

const peerwire = (args: ReadonlyArray<string>, stdin?: string): Run => {
  const result = spawnSync(process.execPath, [bin, ...args], { input: stdin ?? "", encoding: "utf8", timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

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

beforeAll(() => {
  // The tests run the compiled bin; `tsc -b` is incremental, so this is quick when the tree is already built.
  const build = spawnSync(process.execPath, [fileURLToPath(new URL("node_modules/typescript/bin/tsc", `file://${root}`)), "-b"], {
    cwd: root,
    encoding: "utf8",
    timeout: 240_000
  })
  if (!existsSync(bin)) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`)
}, 240_000)

describe("peerwire decode / encode", () => {
  it("decodes vectors to the reference JSON and encodes them back", () => {
    for (const index of [12, 30, 38, 113]) {
      const { hex, json, message } = records[index]!
      const decoded = peerwire(["decode", message, hex])
      expect(decoded.stderr).toBe("")
      expect(decoded.status).toBe(0)
      expect(jsonOf(decoded.stdout)).toEqual(normalise(json))
      const encoded = peerwire(["encode", message, decoded.stdout])
      expect(encoded.status).toBe(0)
      expect(encoded.stdout.trim()).toBe(hex)
    }
  })

  it("reads stdin for '-', accepts 0x and whitespace, round-trips a full block", () => {
    const block = records.findIndex((r) => r.message === "RespondBlock")
    const { hex, json } = records[block]!
    const spaced = "0x" + hex.replace(/(.{64})/g, "$1\n  ")
    const decoded = peerwire(["decode", "--compact", "RespondBlock", "-"], spaced)
    expect(decoded.status).toBe(0)
    expect(decoded.stdout.trim().split("\n")).toHaveLength(1)
    expect(jsonOf(decoded.stdout)).toEqual(normalise(json))
    const encoded = peerwire(["encode", "RespondBlock", "-"], decoded.stdout)
    expect(encoded.status).toBe(0)
    expect(encoded.stdout.trim()).toBe(hex)
  })

  it("decodes and encodes whole Message envelopes", () => {
    const decoded = peerwire(["decode", "--message", "1a 01 0005 00000005 2876952a00"])
    expect(decoded.status).toBe(0)
    expect(jsonOf(decoded.stdout)).toEqual({
      type: 26n,
      name: "request_block",
      id: 5n,
      data: { height: 678860074n, include_transaction_block: false }
    })
    expect(peerwire(["encode", "--message", decoded.stdout]).stdout.trim()).toBe("1a01000500000005" + "2876952a00")
    // chia-messages.md §E.1, the 71-byte handshake
    const handshake = (
      "01 00 00000041 00000007 6d61696e6e6574 00000006 302e302e3336 00000005 322e352e30 20fc 01 00000004 " +
      "0001 00000001 31 0002 00000001 31 0003 00000001 31 0005 00000001 31"
    ).replace(/ /g, "")
    const hs = peerwire(["decode", "-m", handshake])
    expect(hs.status).toBe(0)
    expect(jsonOf(hs.stdout)).toMatchObject({ type: 1n, name: "handshake", id: null })
    expect(peerwire(["encode", "-m", "-"], hs.stdout).stdout.trim()).toBe(handshake)
    const peers = peerwire(["decode", "--message", "2b 00 00000000"])
    expect(jsonOf(peers.stdout)).toEqual({ type: 43n, name: "request_peers", id: null, data: {} })
  })

  it("fails with one line naming the field and offset, and exit code 1", () => {
    const cut = peerwire(["decode", "RespondPeers", "00000001 00000009 3132372e302e302e31 20fc 00000000"])
    expect(cut.status).toBe(1)
    expect(cut.stdout).toBe("")
    expect(cut.stderr.trim().split("\n")).toHaveLength(1)
    expect(cut.stderr).toContain("Truncated in RespondPeers.peer_list[0].timestamp at offset 19")

    const frame = peerwire(["decode", "--message", "1a 01 0005 00000005 2876952a02"])
    expect(frame.status).toBe(1)
    expect(frame.stderr).toContain("InvalidBool")
    expect(frame.stderr).toContain("include_transaction_block")

    const unknownType = peerwire(["decode", "--message", "ee 00 00000000"])
    expect(unknownType.status).toBe(1)
    expect(unknownType.stderr).toContain("UnknownMessageType")

    const hex = peerwire(["decode", "RequestBlock", "2876952g00"])
    expect(hex.status).toBe(1)
    expect(hex.stderr.trim()).toBe(`error: not hex: unexpected "g" at character 7`)

    const json = peerwire(["encode", "RequestBlock", `{"height": 1}`])
    expect(json.status).toBe(1)
    expect(json.stderr).toContain(`missing field "include_transaction_block"`)

    const range = peerwire(["encode", "RequestBlock", `{"height": 4294967296, "include_transaction_block": true}`])
    expect(range.status).toBe(1)
    expect(range.stderr).toContain("RequestBlock.height")

    const badJson = peerwire(["encode", "RequestBlock", `{"height": 1,`])
    expect(badJson.status).toBe(1)
    expect(badJson.stderr).toContain("invalid JSON")
  })

  it("names close matches for an unknown class", () => {
    const run = peerwire(["decode", "respondblock", "00"])
    expect(run.status).toBe(1)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(run.stderr).toContain(`unknown class "respondblock"`)
    expect(run.stderr).toContain("RespondBlock")
    expect(peerwire(["encode", "FullBlok", "{}"]).stderr).toContain("FullBlock")
  })

  it("has --help on the root and on each subcommand, and rejects bad arguments", () => {
    for (const args of [["--help"], ["decode", "--help"], ["encode", "--help"]]) {
      const run = peerwire(args)
      expect(run.status).toBe(0)
      expect(run.stdout).toContain("USAGE")
    }
    expect(peerwire(["decode", "--help"]).stdout).toContain("--message")
    expect(peerwire(["decode"]).status).toBe(1)
    expect(peerwire(["decode", "--message", "a", "b"]).status).toBe(1)
    expect(peerwire(["frobnicate"]).status).toBe(1)
  })
})
