// @peculiar/x509 (used here to read extension flags) needs the Reflect metadata polyfill loaded before it.
import "reflect-metadata"
import { describe, expect, it } from "@effect/vitest"
import * as x509 from "@peculiar/x509"
import * as Certificates from "@peerwire/transport/Certificates"
import type { TlsIdentity } from "@peerwire/transport/Transport"
import { Deferred, Effect, Exit } from "effect"
import { spawnSync } from "node:child_process"
import { createHash, X509Certificate } from "node:crypto"
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tls from "node:tls"

const DAY_MS = 86_400_000
// SHA-256 fingerprint of the bundled chia_ca.crt (chia-blockchain chia/ssl/, commit d61ed07d).
const CHIA_CA_FINGERPRINT = "0c3c02427f378a44d6a012368c53cb830bda2f820e93782ff54adf54eb6834ce"
const HANDSHAKE_TIMEOUT = "10 seconds"

const nodeX509 = (identity: TlsIdentity) => new X509Certificate(identity.certificatePem)
const peculiar = (identity: TlsIdentity) => new x509.X509Certificate(identity.certificatePem)
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "peerwire-certificates-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const modeOf = (path: string) => Effect.promise(() => stat(path)).pipe(Effect.map((s) => s.mode & 0o777))

describe("Certificates", () => {
  describe("generateCa", () => {
    it.effect("makes a CA like make_ca_cert", () =>
      Effect.gen(function*() {
        const now = new Date("2026-03-04T05:06:07Z")
        const ca = yield* Certificates.generateCa({ now })
        const cert = nodeX509(ca)
        expect(cert.subject).toBe("O=Chia\nCN=Chia CA\nOU=Organic Farming Division")
        expect(cert.issuer).toBe(cert.subject)
        expect(cert.ca).toBe(true)
        expect(cert.publicKey.asymmetricKeyDetails).toEqual({ modulusLength: 2048, publicExponent: 65537n })
        expect(Date.parse(cert.validFrom)).toBe(now.getTime())
        expect(Date.parse(cert.validTo)).toBe(now.getTime() + 3650 * DAY_MS)
        expect(cert.verify(cert.publicKey)).toBe(true)
        const basic = peculiar(ca).getExtension(x509.BasicConstraintsExtension)
        expect(basic?.critical).toBe(true)
        expect(peculiar(ca).signatureAlgorithm).toMatchObject({ name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } })
        expect(ca.privateKeyPem.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true)
        expect(ca.certificatePem.endsWith("-----END CERTIFICATE-----\n")).toBe(true)
        yield* Certificates.checkIdentity(ca, "CA certificate", "CA key")
      }))

    it.effect("rejects a non-positive validity", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Certificates.generateCa({ validityDays: 0 }))
        expect(error.reason).toBe("Generate")
      }))
  })

  describe("generateNodeCertificate", () => {
    it.effect("makes a node certificate like generate_ca_signed_cert", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const now = new Date("2026-03-04T05:06:07Z")
        const node = yield* Certificates.generateNodeCertificate(ca, { now })
        const cert = nodeX509(node)
        expect(cert.subject).toBe("CN=Chia\nO=Chia\nOU=Organic Farming Division")
        expect(cert.issuer).toBe(nodeX509(ca).subject)
        expect(cert.subjectAltName).toBe("DNS:chia.net")
        expect(cert.ca).toBe(false)
        expect(cert.publicKey.asymmetricKeyDetails).toEqual({ modulusLength: 2048, publicExponent: 65537n })
        expect(Date.parse(cert.validFrom)).toBe(now.getTime() - DAY_MS)
        expect(new Date(Date.parse(cert.validTo)).toISOString()).toBe("2100-08-02T00:00:00.000Z")
        // Node's own OpenSSL binding agrees on issuer matching and the signature.
        expect(cert.checkIssued(nodeX509(ca))).toBe(true)
        expect(cert.verify(nodeX509(ca).publicKey)).toBe(true)
        const parsed = peculiar(node)
        expect(parsed.getExtension(x509.SubjectAlternativeNameExtension)?.critical).toBe(false)
        expect(parsed.extensions.length).toBe(1)
        expect(parsed.signatureAlgorithm).toMatchObject({ name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } })
        yield* Certificates.checkIdentity(node, "node certificate", "node key")
      }))

    it.effect("uses a fresh key and a random positive serial of at most 20 bytes each time", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const a = nodeX509(yield* Certificates.generateNodeCertificate(ca))
        const b = nodeX509(yield* Certificates.generateNodeCertificate(ca))
        expect(a.serialNumber).not.toBe(b.serialNumber)
        expect(a.publicKey.equals(b.publicKey)).toBe(false)
        for (const serial of [a.serialNumber, b.serialNumber]) {
          expect(serial.length).toBeLessThanOrEqual(40)
          expect(BigInt(`0x${serial}`) > 0n).toBe(true)
        }
      }))

    it.effect("refuses a CA whose key is not its own, or is not PEM", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const other = yield* Certificates.generateCa()
        const mismatched = { certificatePem: ca.certificatePem, privateKeyPem: other.privateKeyPem }
        expect((yield* Effect.flip(Certificates.generateNodeCertificate(mismatched))).reason).toBe("KeyMismatch")
        const garbage = { certificatePem: "not a certificate", privateKeyPem: ca.privateKeyPem }
        expect((yield* Effect.flip(Certificates.generateNodeCertificate(garbage))).reason).toBe("InvalidPem")
      }))
  })

  describe("verifyChain", () => {
    it.effect("accepts a certificate signed by one of the CAs and rejects other CAs", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const other = yield* Certificates.generateCa()
        const node = yield* Certificates.generateNodeCertificate(ca)
        yield* Certificates.verifyChain(node.certificatePem, [ca.certificatePem])
        yield* Certificates.verifyChain(node.certificatePem, [other.certificatePem, ca.certificatePem])
        yield* Certificates.verifyChain(node.certificatePem, [other.certificatePem + ca.certificatePem])
        yield* Certificates.verifyChain(yield* Certificates.certificateDer(node.certificatePem), [ca.certificatePem])
        // Same subject name as `ca`, different key: only the signature tells them apart.
        const rejected = yield* Effect.flip(Certificates.verifyChain(node.certificatePem, [other.certificatePem]))
        expect(rejected.reason).toBe("Verify")
        expect(rejected.message).toContain("signature does not verify")
        const none = yield* Effect.flip(Certificates.verifyChain(node.certificatePem, []))
        expect(none.reason).toBe("Verify")
      }))

    it.effect("checks the validity windows of the certificate and the CA", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa({ now: new Date("2026-01-01T00:00:00Z"), validityDays: 10 })
        const node = yield* Certificates.generateNodeCertificate(ca, {
          now: new Date("2026-01-02T00:00:00Z"),
          notAfter: new Date("2026-01-05T00:00:00Z")
        })
        const verifyAt = (iso: string) =>
          Certificates.verifyChain(node.certificatePem, [ca.certificatePem], { at: new Date(iso) })
        yield* verifyAt("2026-01-03T00:00:00Z")
        expect((yield* Effect.flip(verifyAt("2026-01-06T00:00:00Z"))).message).toContain("certificate expired")
        expect((yield* Effect.flip(verifyAt("2025-12-31T00:00:00Z"))).message).toContain("not valid before")
        const longNode = yield* Certificates.generateNodeCertificate(ca, { now: new Date("2026-01-02T00:00:00Z") })
        const caExpired = yield* Effect.flip(
          Certificates.verifyChain(longNode.certificatePem, [ca.certificatePem], {
            at: new Date("2026-02-01T00:00:00Z")
          })
        )
        expect(caExpired.message).toMatch(/CA ".*" expired/)
      }))

    it.effect("does not accept a non-CA certificate as issuer", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const node = yield* Certificates.generateNodeCertificate(ca)
        const error = yield* Effect.flip(Certificates.verifyChain(node.certificatePem, [node.certificatePem]))
        expect(error.reason).toBe("Verify")
      }))

    it.effect("gives InvalidPem for unreadable input", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const node = yield* Certificates.generateNodeCertificate(ca)
        expect((yield* Effect.flip(Certificates.verifyChain("junk", [ca.certificatePem]))).reason).toBe("InvalidPem")
        expect((yield* Effect.flip(Certificates.verifyChain(node.certificatePem, ["junk"]))).reason).toBe("InvalidPem")
        const der = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01])
        expect((yield* Effect.flip(Certificates.verifyChain(der, [ca.certificatePem]))).reason).toBe("InvalidPem")
      }))
  })

  describe("node ids", () => {
    it.effect("hash the exact DER of the certificate", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const node = yield* Certificates.generateNodeCertificate(ca)
        const der = yield* Certificates.certificateDer(node.certificatePem)
        expect(Buffer.from(der).equals(nodeX509(node).raw)).toBe(true)
        expect(Certificates.nodeId(der)).toEqual(new Uint8Array(createHash("sha256").update(der).digest()))
        expect(Certificates.nodeIdHex(der)).toBe(sha256(der))
        expect(Certificates.nodeIdHex(der)).toMatch(/^[0-9a-f]{64}$/)
      }))

    it.effect("certificateDer refuses text without a certificate", () =>
      Effect.gen(function*() {
        const ca = yield* Certificates.generateCa()
        const truncated = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        for (const text of ["", "hello", ca.privateKeyPem, truncated]) {
          const error = yield* Effect.flip(Certificates.certificateDer(text))
          expect(error._tag).toBe("CertificateError")
          expect(error.reason).toBe("InvalidPem")
        }
      }))
  })

  describe("public Chia CA", () => {
    it.effect("is the bundled chia_ca pair", () =>
      Effect.gen(function*() {
        const chiaCa = yield* Certificates.chiaCa
        const der = yield* Certificates.certificateDer(chiaCa.certificatePem)
        expect(Certificates.nodeIdHex(der)).toBe(CHIA_CA_FINGERPRINT)
        expect(nodeX509(chiaCa).subject).toBe("O=Chia\nCN=Chia CA\nOU=Organic Farming Division")
      }))

    it.effect("signs node certificates that verify against chia_ca.crt", () =>
      Effect.gen(function*() {
        const chiaCa = yield* Certificates.chiaCa
        const node = yield* Certificates.generateNodeCertificate(chiaCa)
        yield* Certificates.verifyChain(node.certificatePem, [chiaCa.certificatePem])
        expect(nodeX509(node).checkIssued(nodeX509(chiaCa))).toBe(true)
      }))
  })

  describe("OpenSSL agrees", () => {
    const opensslVerify = (dir: string, caPem: string, certificatePem: string) =>
      Effect.promise(async () => {
        await writeFile(join(dir, "ca.pem"), caPem)
        await writeFile(join(dir, "node.pem"), certificatePem)
        return spawnSync("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), join(dir, "node.pem")], {
          encoding: "utf8",
          timeout: 10_000
        })
      })

    it.scoped("openssl verify accepts our chains and rejects a foreign CA", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        expect(spawnSync("openssl", ["version"], { encoding: "utf8" }).status, "openssl must be installed").toBe(0)
        const ca = yield* Certificates.generateCa()
        const chiaCa = yield* Certificates.chiaCa
        const node = yield* Certificates.generateNodeCertificate(ca)
        const publicNode = yield* Certificates.generateNodeCertificate(chiaCa)
        const ok = yield* opensslVerify(dir, ca.certificatePem, node.certificatePem)
        expect(ok.stdout.trim()).toBe(`${join(dir, "node.pem")}: OK`)
        const okPublic = yield* opensslVerify(dir, chiaCa.certificatePem, publicNode.certificatePem)
        expect(okPublic.status).toBe(0)
        const foreign = yield* opensslVerify(dir, chiaCa.certificatePem, node.certificatePem)
        expect(foreign.status).not.toBe(0)
      }))
  })

  describe("mutual TLS", () => {
    interface Seen {
      readonly serverSaw: Uint8Array
      readonly clientSaw: Uint8Array
      readonly protocol: string | null
    }

    // Server and client each present `identity` and require the other to chain to `caPem`, as public Chia peers do.
    const handshake = (server: TlsIdentity, client: TlsIdentity, caPem: string) =>
      Effect.gen(function*() {
        const serverSaw = yield* Deferred.make<Uint8Array, Error>()
        const tlsServer = yield* Effect.acquireRelease(
          Effect.async<tls.Server, Error>((resume) => {
            const s = tls.createServer({
              key: server.privateKeyPem,
              cert: server.certificatePem,
              ca: [caPem],
              requestCert: true,
              rejectUnauthorized: true,
              minVersion: "TLSv1.3"
            })
            s.on("secureConnection", (socket) => {
              Deferred.unsafeDone(serverSaw, Exit.succeed(new Uint8Array(socket.getPeerCertificate(true).raw)))
              socket.on("error", () => undefined)
              socket.end()
            })
            s.on("tlsClientError", (error) => Deferred.unsafeDone(serverSaw, Exit.fail(error)))
            s.once("error", (error) => resume(Effect.fail(error)))
            s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
          }),
          (s) =>
            Effect.async<void>((resume) => {
              s.close(() => resume(Effect.void))
            }).pipe(Effect.timeout(HANDSHAKE_TIMEOUT), Effect.ignore)
        )
        const address = tlsServer.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        const clientSocket = yield* Effect.acquireRelease(
          Effect.async<tls.TLSSocket, Error>((resume) => {
            const socket = tls.connect({
              host: "127.0.0.1",
              port,
              key: client.privateKeyPem,
              cert: client.certificatePem,
              ca: [caPem],
              rejectUnauthorized: true,
              checkServerIdentity: () => undefined
            })
            const onError = (error: Error) => resume(Effect.fail(error))
            socket.once("error", onError)
            socket.once("secureConnect", () => {
              socket.off("error", onError)
              // TLS 1.3 reports a rejected client certificate after the client's handshake completes.
              socket.on("error", () => undefined)
              resume(Effect.succeed(socket))
            })
          }),
          (socket) => Effect.sync(() => socket.destroy())
        )
        const clientSaw = new Uint8Array(clientSocket.getPeerCertificate().raw)
        const protocol = clientSocket.getProtocol()
        const seen: Seen = { serverSaw: yield* Deferred.await(serverSaw), clientSaw, protocol }
        return seen
      }).pipe(Effect.timeoutFail({ duration: HANDSHAKE_TIMEOUT, onTimeout: () => new Error("handshake timed out") }))

    it.scopedLive("two nodes signed by the public Chia CA complete a TLS 1.3 handshake and see each other", () =>
      Effect.gen(function*() {
        const chiaCa = yield* Certificates.chiaCa
        const server = yield* Certificates.generateNodeCertificate(chiaCa)
        const client = yield* Certificates.generateNodeCertificate(chiaCa)
        const seen = yield* handshake(server, client, chiaCa.certificatePem)
        expect(seen.protocol).toBe("TLSv1.3")
        const serverDer = yield* Certificates.certificateDer(server.certificatePem)
        const clientDer = yield* Certificates.certificateDer(client.certificatePem)
        expect(Certificates.nodeIdHex(seen.serverSaw)).toBe(sha256(clientDer))
        expect(Certificates.nodeIdHex(seen.clientSaw)).toBe(sha256(serverDer))
        expect(Certificates.nodeId(seen.clientSaw)).toEqual(Certificates.nodeId(serverDer))
        expect(Certificates.nodeIdHex(seen.serverSaw)).not.toBe(Certificates.nodeIdHex(seen.clientSaw))
      }))

    it.scopedLive("each side refuses a peer whose certificate does not chain to its CA", () =>
      Effect.gen(function*() {
        const chiaCa = yield* Certificates.chiaCa
        // Same subject as the Chia CA but another key, so only the signature check can tell them apart.
        const privateCa = yield* Certificates.generateCa()
        const member = yield* Certificates.generateNodeCertificate(chiaCa)
        const stranger = yield* Certificates.generateNodeCertificate(privateCa)
        const serverRefuses = yield* Effect.flip(handshake(member, stranger, chiaCa.certificatePem))
        const clientRefuses = yield* Effect.flip(handshake(stranger, member, chiaCa.certificatePem))
        for (const error of [serverRefuses, clientRefuses]) {
          expect(error.message).not.toContain("timed out")
        }
      }))
  })

  describe("identity files", () => {
    it.scoped("save then load round-trips with the reference's file modes, atomically", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const ca = yield* Certificates.generateCa()
        const first = yield* Certificates.generateNodeCertificate(ca)
        const second = yield* Certificates.generateNodeCertificate(ca)
        const certPath = join(dir, "ssl", "full_node", "public_full_node.crt")
        const keyPath = join(dir, "ssl", "full_node", "public_full_node.key")
        yield* Certificates.saveIdentity(first, certPath, keyPath)
        expect(yield* Certificates.loadIdentity(certPath, keyPath)).toEqual(first)
        expect(yield* modeOf(certPath)).toBe(0o644)
        expect(yield* modeOf(keyPath)).toBe(0o600)
        yield* Certificates.saveIdentity(second, certPath, keyPath)
        expect(yield* Certificates.loadIdentity(certPath, keyPath)).toEqual(second)
        expect((yield* Effect.promise(() => readdir(join(dir, "ssl", "full_node")))).sort()).toEqual([
          "public_full_node.crt",
          "public_full_node.key"
        ])
      }))

    it.scoped("save refuses a mismatched identity and leaves the files alone", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const ca = yield* Certificates.generateCa()
        const good = yield* Certificates.generateNodeCertificate(ca)
        const other = yield* Certificates.generateNodeCertificate(ca)
        const certPath = join(dir, "node.crt")
        const keyPath = join(dir, "node.key")
        yield* Certificates.saveIdentity(good, certPath, keyPath)
        const bad = { certificatePem: good.certificatePem, privateKeyPem: other.privateKeyPem }
        expect((yield* Effect.flip(Certificates.saveIdentity(bad, certPath, keyPath))).reason).toBe("KeyMismatch")
        expect(yield* Effect.promise(() => readFile(keyPath, "utf8"))).toBe(good.privateKeyPem)
      }))

    it.scoped("load gives typed errors naming the path", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const ca = yield* Certificates.generateCa()
        const a = yield* Certificates.generateNodeCertificate(ca)
        const b = yield* Certificates.generateNodeCertificate(ca)
        const path = (name: string) => join(dir, name)
        yield* Effect.promise(async () => {
          await writeFile(path("a.crt"), a.certificatePem)
          await writeFile(path("a.key"), a.privateKeyPem)
          await writeFile(path("b.key"), b.privateKeyPem)
          await writeFile(path("junk.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
          await writeFile(path("junk.key"), "not a key")
          await writeFile(path("huge.crt"), Buffer.alloc(Certificates.MAX_PEM_FILE_BYTES + 1, 0x41))
          await mkdir(path("dir.crt"))
        })
        const failure = (cert: string, key: string) => Effect.flip(Certificates.loadIdentity(path(cert), path(key)))
        const missing = yield* failure("missing.crt", "a.key")
        expect(missing.reason).toBe("Read")
        expect(missing.message).toContain(path("missing.crt"))
        expect((yield* failure("a.crt", "missing.key")).message).toContain(path("missing.key"))
        expect((yield* failure("dir.crt", "a.key")).reason).toBe("Read")
        expect((yield* failure("huge.crt", "a.key")).reason).toBe("Read")
        const junkCert = yield* failure("junk.crt", "a.key")
        expect(junkCert.reason).toBe("InvalidPem")
        expect(junkCert.message).toContain(path("junk.crt"))
        const junkKey = yield* failure("a.crt", "junk.key")
        expect(junkKey.reason).toBe("InvalidPem")
        expect(junkKey.message).toContain(path("junk.key"))
        expect((yield* failure("a.crt", "b.key")).reason).toBe("KeyMismatch")
      }))
  })
})
