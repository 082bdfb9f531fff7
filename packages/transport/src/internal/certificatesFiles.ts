import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { mkdir, open, rename, rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import type { TlsIdentity } from "../Transport.js"
import { checkKeyMatches, parseCertificate, parsePrivateKey } from "./certificatesCrypto.js"
import { CertificateError, describeCause } from "./certificatesError.js"

/** Mode of a written certificate file (the reference's `ssl_check`: 0644). */
export const CERTIFICATE_FILE_MODE = 0o644
/** Mode of a written private key file (the reference's `ssl_check`: 0600). */
export const PRIVATE_KEY_FILE_MODE = 0o600
/** Largest certificate or key file read; real ones are a few KiB, so anything larger is not one. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024

const readText = (path: string, what: string): Effect.Effect<string, CertificateError> =>
  Effect.tryPromise({
    try: async () => {
      const handle = await open(path, "r")
      try {
        const { size } = await handle.stat()
        if (size > MAX_PEM_FILE_BYTES) throw new Error(`file is ${size} bytes, more than ${MAX_PEM_FILE_BYTES}`)
        return await handle.readFile("utf8")
      } finally {
        await handle.close()
      }
    },
    catch: (cause) =>
      new CertificateError({ reason: "Read", message: `cannot read ${what} ${path}: ${describeCause(cause)}`, cause })
  })

/** Checks that the identity is a certificate and the private key that belongs to it. */
export const checkIdentity = (
  identity: TlsIdentity,
  certificateWhat: string,
  keyWhat: string
): Effect.Effect<void, CertificateError> =>
  Effect.gen(function*() {
    const { certificate } = yield* parseCertificate(identity.certificatePem, certificateWhat)
    const privateKey = yield* parsePrivateKey(identity.privateKeyPem, keyWhat)
    yield* checkKeyMatches(certificate, privateKey, `${keyWhat} and ${certificateWhat}`)
  })

/** Reads a certificate and its private key (PEM files) and checks that they belong together. */
export const loadIdentity = (
  certificatePath: string,
  privateKeyPath: string
): Effect.Effect<TlsIdentity, CertificateError> =>
  Effect.gen(function*() {
    const certificatePem = yield* readText(certificatePath, "certificate file")
    const privateKeyPem = yield* readText(privateKeyPath, "private key file")
    const identity: TlsIdentity = { certificatePem, privateKeyPem }
    yield* checkIdentity(identity, `certificate file ${certificatePath}`, `private key file ${privateKeyPath}`)
    return identity
  })

// Write a sibling temporary file, fsync it, then rename it over the target: readers see the old file or the new one,
// never a partial one. The mode is set with chmod too, because `open`'s mode is filtered by the umask.
const writeFileAtomic = (
  path: string,
  text: string,
  mode: number,
  what: string
): Effect.Effect<void, CertificateError> =>
  Effect.tryPromise({
    try: async () => {
      const directory = dirname(path)
      await mkdir(directory, { recursive: true })
      const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
      try {
        const handle = await open(temporary, "wx", mode)
        try {
          await handle.writeFile(text, "utf8")
          await handle.chmod(mode)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await rename(temporary, path)
      } catch (cause) {
        await rm(temporary, { force: true }).catch(() => undefined)
        throw cause
      }
    },
    catch: (cause) =>
      new CertificateError({ reason: "Write", message: `cannot write ${what} ${path}: ${describeCause(cause)}`, cause })
  })

/**
 * Writes the identity as two PEM files (certificate 0644, key 0600), each atomically, after checking it, so a bad
 * identity never replaces good files. The key is written first.
 */
export const saveIdentity = (
  identity: TlsIdentity,
  certificatePath: string,
  privateKeyPath: string
): Effect.Effect<void, CertificateError> =>
  Effect.gen(function*() {
    yield* checkIdentity(identity, "certificate", "private key")
    yield* writeFileAtomic(privateKeyPath, identity.privateKeyPem, PRIVATE_KEY_FILE_MODE, "private key file")
    yield* writeFileAtomic(certificatePath, identity.certificatePem, CERTIFICATE_FILE_MODE, "certificate file")
  })
