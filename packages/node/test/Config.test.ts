import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import YAML from "yaml"
import * as Config from "../src/Config.js"

describe("Config", () => {
  it("renders a default file that parses back to the defaults", () => {
    const parsed = Config.fromDocument(YAML.parse(Config.renderDefault()))
    expect(Either.isRight(parsed)).toBe(true)
    if (Either.isRight(parsed)) {
      expect(parsed.right.config).toEqual(Config.defaultConfig)
      expect(parsed.right.unknownKeys).toEqual([])
    }
  })

  it("names the key and what was expected for an invalid value", () => {
    const result = Config.fromDocument({ port: 70000, timeouts: { request_timeout: -1 } }, "c.yaml")
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.message).toContain("port")
      expect(result.left.message).toContain("timeouts.request_timeout")
      expect(result.left.message).not.toContain("Expected undefined")
    }
  })

  it("reports unknown keys without failing", () => {
    const result = Config.fromDocument({ prot: 1, discovery: { enabeld: true } })
    expect(Either.isRight(result) && result.right.unknownKeys).toEqual(["prot", "discovery.enabeld"])
  })

  it.effect("gives a one-line error for YAML syntax errors and missing files", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "peerwire-cfg-"))
      writeFileSync(join(dir, "bad.yaml"), "port: [1, 2\n")
      const syntax = yield* Effect.flip(Config.load(join(dir, "bad.yaml")))
      expect(syntax.reason).toBe("Syntax")
      expect(syntax.message).not.toContain("\n")
      const missing = yield* Effect.flip(Config.load(join(dir, "none.yaml")))
      expect(missing.reason).toBe("Read")
    })
  )
})
