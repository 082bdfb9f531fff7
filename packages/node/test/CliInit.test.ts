/** `peerwire init` through the root command (argument parsing included), in process; console output captured. */
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CliFailure, run } from "../src/cli/index.js"
import * as Config from "../src/Config.js"
import * as DataDir from "../src/DataDir.js"

let out: Array<string> = []
let err: Array<string> = []

beforeEach(() => {
  out = []
  err = []
  vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => void out.push(args.join(" ")))
  vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void err.push(args.join(" ")))
})

afterEach(() => {
  vi.restoreAllMocks()
})

const peerwire = (...args: Array<string>) =>
  run(["node", "peerwire", ...args]).pipe(Effect.provide(NodeContext.layer))

const freshDir = () => join(mkdtempSync(join(tmpdir(), "peerwire-cli-init-")), "root")

const certificateFiles = (p: DataDir.DataDirPaths) => [
  p.privateCaCertificate,
  p.privateCaKey,
  p.publicFullNodeCertificate,
  p.publicFullNodeKey,
  p.privateFullNodeCertificate,
  p.privateFullNodeKey,
  p.privateDaemonCertificate,
  p.privateDaemonKey
]

describe("peerwire init", () => {
  it.effect("creates the data directory, prints what it made and the node id; a second run keeps everything", () =>
    Effect.gen(function* () {
      const dir = freshDir()
      const p = DataDir.paths(dir)
      yield* peerwire("init", "--data-dir", dir, "--network", "testnet11")
      expect(out[0]).toBe(`data directory ${p.root}`)
      expect(out).toContain("  created config/config.yaml")
      expect(out).toContain("  created config/ssl/full_node/public_full_node.crt")
      expect(out).toContain("  created config/ssl/daemon/private_daemon.key")
      expect(out).toContain("  created db")
      expect(out.at(-1)).toMatch(/^node id [0-9a-f]{64}$/)
      expect(err).toEqual([])
      const config = yield* Config.load(p.configFile)
      expect(config.config.network).toBe("testnet11")
      expect(config.config.port).toBe(58444)

      const certificates = certificateFiles(p).map((f) => readFileSync(f, "utf8"))
      const nodeIdLine = out.at(-1)
      out = []
      yield* peerwire("init", "--data-dir", dir)
      expect(out.filter((l) => l.includes("created"))).toEqual([])
      expect(out).toContain("  kept    config/ssl/ca/private_ca.key")
      expect(out).toContain("  kept    config/config.yaml")
      expect(out.at(-1)).toBe(nodeIdLine)
      expect(certificateFiles(p).map((f) => readFileSync(f, "utf8"))).toEqual(certificates)
    }))

  it.effect("keeps the certificates when it recreates a missing config.yaml; warns on a network mismatch", () =>
    Effect.gen(function* () {
      const dir = freshDir()
      const p = DataDir.paths(dir)
      yield* peerwire("init", "--data-dir", dir)
      const certificates = certificateFiles(p).map((f) => readFileSync(f, "utf8"))
      rmSync(p.configFile)
      out = []
      yield* peerwire("init", "--data-dir", dir)
      expect(out.filter((l) => l.includes("created"))).toEqual(["  created config/config.yaml"])
      expect(certificateFiles(p).map((f) => readFileSync(f, "utf8"))).toEqual(certificates)
      yield* peerwire("init", "--data-dir", dir, "--network", "testnet11")
      expect(err).toEqual([`warning: kept config/config.yaml, which says network "mainnet", not "testnet11"`])
    }))

  it.effect("fails with a one-line message naming the path when the directory cannot be made", () =>
    Effect.gen(function* () {
      const temp = mkdtempSync(join(tmpdir(), "peerwire-cli-init-bad-"))
      writeFileSync(join(temp, "file"), "x")
      const dir = join(temp, "file", "sub")
      const error = yield* Effect.flip(peerwire("init", "--data-dir", dir))
      expect(error).toBeInstanceOf(CliFailure)
      expect(error instanceof CliFailure && error.message).toBe(
        `cannot create data directory ${dir}: a part of the path is a file, not a directory (ENOTDIR)`
      )
    }))

  it.effect("uses $PEERWIRE_ROOT when no --data-dir is given", () =>
    Effect.gen(function* () {
      const dir = freshDir()
      const previous = process.env[DataDir.ROOT_ENV_VAR]
      process.env[DataDir.ROOT_ENV_VAR] = dir
      yield* peerwire("init").pipe(
        Effect.ensuring(Effect.sync(() => {
          if (previous === undefined) delete process.env[DataDir.ROOT_ENV_VAR]
          else process.env[DataDir.ROOT_ENV_VAR] = previous
        }))
      )
      expect(out[0]).toBe(`data directory ${dir}`)
      const config = readFileSync(DataDir.paths(dir).configFile, "utf8")
      expect(config).toBe(Config.renderDefault({ network: "mainnet", port: 8444 }))
    }))

  it.effect("rejects an unusable network name", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(peerwire("init", "--data-dir", freshDir(), "--network", "../etc"))
      expect(error instanceof CliFailure && error.message).toBe(
        `invalid network name "../etc": use letters, digits, "_", "." or "-" (at most 64)`
      )
    }))
})
