import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import YAML from "yaml"
import { Certificates } from "@peerwire/transport"
import * as Config from "../src/Config.js"
import * as DataDir from "../src/DataDir.js"

let base: DataDir.EnsureReport

beforeAll(async () => {
  base = await Effect.runPromise(DataDir.ensure(join(mkdtempSync(join(tmpdir(), "peerwire-datadir-")), "root"), {
    network: "testnet11"
  }))
})

/** A fresh copy of the initialised data directory (modes kept). */
const copy = (): DataDir.DataDirPaths => {
  const dir = join(mkdtempSync(join(tmpdir(), "peerwire-datadir-copy-")), "root")
  cpSync(base.paths.root, dir, { recursive: true })
  return DataDir.paths(dir)
}

const certificateFiles = (p: DataDir.DataDirPaths): ReadonlyArray<string> => [
  p.privateCaCertificate,
  p.privateCaKey,
  p.publicFullNodeCertificate,
  p.publicFullNodeKey,
  p.privateFullNodeCertificate,
  p.privateFullNodeKey,
  p.privateDaemonCertificate,
  p.privateDaemonKey
]

const snapshot = (files: ReadonlyArray<string>) => files.map((f) => readFileSync(f, "utf8"))

describe("DataDir.paths and defaultDir", () => {
  it("lays paths out like the reference's root", () => {
    const p = DataDir.paths("some/dir")
    const root = resolve("some/dir")
    expect(p.root).toBe(root)
    expect(p.configFile).toBe(join(root, "config/config.yaml"))
    expect(p.privateCaCertificate).toBe(join(root, "config/ssl/ca/private_ca.crt"))
    expect(p.privateCaKey).toBe(join(root, "config/ssl/ca/private_ca.key"))
    expect(p.publicFullNodeCertificate).toBe(join(root, "config/ssl/full_node/public_full_node.crt"))
    expect(p.privateFullNodeKey).toBe(join(root, "config/ssl/full_node/private_full_node.key"))
    expect(p.privateDaemonCertificate).toBe(join(root, "config/ssl/daemon/private_daemon.crt"))
    expect(p.peersFile).toBe(join(root, "db/peers.json"))
    expect(p.bansFile).toBe(join(root, "db/bans.json"))
  })

  it("uses $PEERWIRE_ROOT when set, else ~/.peerwire/<network>", () => {
    expect(DataDir.defaultDir("testnet11", { PEERWIRE_ROOT: "/srv/pw" }, "/home/u")).toBe("/srv/pw")
    expect(DataDir.defaultDir("testnet11", { PEERWIRE_ROOT: "" }, "/home/u")).toBe("/home/u/.peerwire/testnet11")
    expect(DataDir.defaultDir(undefined, {}, "/home/u")).toBe("/home/u/.peerwire/mainnet")
  })
})

describe("DataDir.ensure", () => {
  it("creates the layout: directories, certificates with 0600 keys and 0644 certificates, config.yaml", () => {
    const p = base.paths
    for (const dir of [p.root, p.configDir, p.sslDir, p.caDir, p.fullNodeDir, p.daemonDir, p.dbDir]) {
      expect(statSync(dir).isDirectory()).toBe(true)
      expect(base.created).toContain(dir)
    }
    for (const file of [...certificateFiles(p), p.configFile]) expect(base.created).toContain(file)
    expect(base.kept).toEqual([])
    for (const key of [p.privateCaKey, p.publicFullNodeKey, p.privateFullNodeKey, p.privateDaemonKey]) {
      expect(statSync(key).mode & 0o777).toBe(0o600)
    }
    for (const crt of [p.privateCaCertificate, p.publicFullNodeCertificate, p.privateDaemonCertificate]) {
      expect(statSync(crt).mode & 0o777).toBe(0o644)
    }
    expect(statSync(p.sslDir).mode & 0o777).toBe(0o700)
  })

  it("writes config.yaml from renderDefault with the network and its port", () => {
    const text = readFileSync(base.paths.configFile, "utf8")
    expect(text).toBe(Config.renderDefault({ network: "testnet11", port: 58444 }))
    const loaded = Config.fromDocument(YAML.parse(text))
    expect(Either.isRight(loaded) && loaded.right.config.network).toBe("testnet11")
    expect(Either.isRight(loaded) && loaded.right.config.port).toBe(58444)
    expect(Either.isRight(loaded) && loaded.right.config.rpc).toEqual({ host: "127.0.0.1", port: 8555 })
  })

  it.effect("signs the public certificate with the Chia CA and the private ones with the private CA", () =>
    Effect.gen(function* () {
      const p = base.paths
      const chiaCa = yield* Certificates.chiaCa
      const privateCa = readFileSync(p.privateCaCertificate, "utf8")
      const publicPem = readFileSync(p.publicFullNodeCertificate, "utf8")
      yield* Certificates.verifyChain(publicPem, [chiaCa.certificatePem])
      yield* Certificates.verifyChain(readFileSync(p.privateFullNodeCertificate, "utf8"), [privateCa])
      yield* Certificates.verifyChain(readFileSync(p.privateDaemonCertificate, "utf8"), [privateCa])
      expect((yield* Effect.flip(Certificates.verifyChain(publicPem, [privateCa]))).reason).toBe("Verify")
      const daemonPem = readFileSync(p.privateDaemonCertificate, "utf8")
      expect((yield* Effect.flip(Certificates.verifyChain(daemonPem, [chiaCa.certificatePem]))).reason).toBe("Verify")
      expect(base.nodeId).toBe(Certificates.nodeIdHex(yield* Certificates.certificateDer(publicPem)))
    }))

  it.effect("is idempotent: a second run creates nothing and changes no file", () =>
    Effect.gen(function* () {
      const p = copy()
      const before = snapshot([...certificateFiles(p), p.configFile])
      const again = yield* DataDir.ensure(p.root, { network: "mainnet" })
      expect(again.created).toEqual([])
      expect([...again.kept].sort()).toEqual([...certificateFiles(p), p.configFile].sort())
      expect(snapshot([...certificateFiles(p), p.configFile])).toEqual(before)
      expect(again.nodeId).toBe(base.nodeId)
    }))

  it.effect("makes only a missing pair, signed by the existing private CA, and keeps the rest", () =>
    Effect.gen(function* () {
      const p = copy()
      rmSync(p.privateDaemonCertificate)
      rmSync(p.privateDaemonKey)
      const keptFiles = certificateFiles(p).filter((f) => !f.includes("daemon"))
      const before = snapshot(keptFiles)
      const report = yield* DataDir.ensure(p.root)
      expect(report.created).toEqual([p.privateDaemonKey, p.privateDaemonCertificate])
      expect(snapshot(keptFiles)).toEqual(before)
      yield* Certificates.verifyChain(readFileSync(p.privateDaemonCertificate, "utf8"), [
        readFileSync(p.privateCaCertificate, "utf8")
      ])
    }))

  it.effect("keeps an existing config.yaml", () =>
    Effect.gen(function* () {
      const p = copy()
      writeFileSync(p.configFile, "network: mynet\nrpc:\n  port: 9000\n")
      const report = yield* DataDir.ensure(p.root, { network: "mainnet" })
      expect(report.kept).toContain(p.configFile)
      expect(readFileSync(p.configFile, "utf8")).toBe("network: mynet\nrpc:\n  port: 9000\n")
    }))

  it.effect("refuses a pair with one file missing, and leaves the other file alone", () =>
    Effect.gen(function* () {
      const p = copy()
      rmSync(p.privateFullNodeKey)
      const certificate = readFileSync(p.privateFullNodeCertificate, "utf8")
      const error = yield* Effect.flip(DataDir.ensure(p.root))
      expect(error.reason).toBe("Certificate")
      expect(error.path).toBe(p.privateFullNodeKey)
      expect(error.message).toBe(
        `${p.privateFullNodeKey} is missing but ${p.privateFullNodeCertificate} exists; restore it, or move both away`
      )
      expect(readFileSync(p.privateFullNodeCertificate, "utf8")).toBe(certificate)
      expect(existsSync(p.privateFullNodeKey)).toBe(false)
    }))

  it.effect("refuses an existing certificate its CA did not sign", () =>
    Effect.gen(function* () {
      const p = copy()
      const foreign = yield* Certificates.generateNodeCertificate(yield* Certificates.generateCa())
      writeFileSync(p.privateFullNodeCertificate, foreign.certificatePem)
      writeFileSync(p.privateFullNodeKey, foreign.privateKeyPem)
      const error = yield* Effect.flip(DataDir.ensure(p.root))
      expect(error.reason).toBe("Certificate")
      expect(error.message.startsWith(`${p.privateFullNodeCertificate} is not signed by the private CA`)).toBe(true)
      expect(error.message).not.toContain("\n")
      expect(readFileSync(p.privateFullNodeCertificate, "utf8")).toBe(foreign.certificatePem)
    }))

  it.effect("fails with a one-line Directory error naming the path when it cannot create the directory", () =>
    Effect.gen(function* () {
      // Tests run as root, which chmod does not stop: a path under a regular file fails for everyone (ENOTDIR).
      const temp = mkdtempSync(join(tmpdir(), "peerwire-datadir-bad-"))
      writeFileSync(join(temp, "file"), "x")
      const dir = join(temp, "file", "sub")
      const error = yield* Effect.flip(DataDir.ensure(dir))
      expect(error.reason).toBe("Directory")
      expect(error.path).toBe(dir)
      expect(error.message).toBe(
        `cannot create data directory ${dir}: a part of the path is a file, not a directory (ENOTDIR)`
      )
    }))

  it.effect("rejects a network name that cannot be a directory name", () =>
    Effect.gen(function* () {
      for (const name of ["../x", "", ".hidden", "a/b"]) {
        const error = yield* Effect.flip(DataDir.ensure(join(tmpdir(), "never-created"), { network: name }))
        expect(error.reason).toBe("InvalidNetwork")
      }
      expect(existsSync(join(tmpdir(), "never-created"))).toBe(false)
    }))
})
