import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import YAML from "yaml"
import * as Config from "../src/Config.js"
import * as Node from "../src/Node.js"
import * as PeerManager from "../src/PeerManager.js"

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

  it("defaults inbound.max_connections to the peer manager's limit and passes a custom value on", () => {
    expect(Config.defaultConfig.inbound.max_connections).toBe(PeerManager.DEFAULT_MAX_INBOUND_CONNECTIONS)
    expect(Config.defaultConfig.inbound.max_connections).toBe(132)
    expect(Config.renderDefault()).toMatch(/^inbound:\n(?:  .*\n)*  max_connections: 132$/m)
    expect(Node.optionsFromConfig(Config.defaultConfig).peerManager?.maxInboundConnections).toBe(132)

    const custom = Config.fromDocument(YAML.parse("inbound:\n  max_connections: 7\n"))
    expect(Either.isRight(custom)).toBe(true)
    if (Either.isRight(custom)) {
      expect(custom.right.config.inbound).toEqual({ ...Config.defaultConfig.inbound, max_connections: 7 })
      expect(custom.right.unknownKeys).toEqual([])
      expect(Node.optionsFromConfig(custom.right.config).peerManager?.maxInboundConnections).toBe(7)
    }
  })

  it("rejects an invalid inbound.max_connections like the other inbound keys, naming the key", () => {
    const failure = (key: string, value: unknown) =>
      Either.flip(Config.fromDocument({ inbound: { [key]: value } }, "c.yaml")).pipe(Either.getOrUndefined)
    for (const bad of [-1, 2.5, "many", null]) {
      const error = failure("max_connections", bad)
      expect(error).toBeInstanceOf(Config.ConfigError)
      expect(error?.reason).toBe("Invalid")
      expect(error?.message).toMatch(/^c\.yaml: inbound\.max_connections: \S/)
      expect(error?.message).not.toContain("Expected undefined")
      // Word for word what a sibling key gets for the same value.
      expect(error?.message).toBe(failure("max_wallets", bad)?.message.replace("max_wallets", "max_connections"))
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
