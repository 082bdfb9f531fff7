import { Effect } from "effect"
import { createPrivateKey, createPublicKey, type KeyObject, webcrypto } from "node:crypto"
import { CertificateError, describeCause } from "./certificatesError.js"
import * as x509 from "./certificatesX509.js"

/** Node's WebCrypto, passed explicitly to every @peculiar/x509 call instead of setting its global provider. */
export const crypto: webcrypto.Crypto = webcrypto

/** RSASSA-PKCS1-v1_5 with SHA-256: the reference's `rsa` keys signed with `hashes.SHA256()`. */
export const RSA_SIGNATURE_ALGORITHM: webcrypto.RsaHashedImportParams = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }

const CERTIFICATE_PEM_TYPE = "CERTIFICATE"

const invalid = (message: string, cause?: unknown) => new CertificateError({ reason: "InvalidPem", message, cause })

const parseDer = (der: Uint8Array, what: string): Effect.Effect<x509.X509Certificate, CertificateError> =>
  Effect.try({
    try: () => new x509.X509Certificate(der),
    catch: (cause) => invalid(`${what} is not a valid X.509 certificate: ${describeCause(cause)}`, cause)
  })

/** Every `CERTIFICATE` block of a PEM text, as the exact DER bytes it carries. */
export const certificateBlocks = (pem: string, what: string): Effect.Effect<Array<Uint8Array>, CertificateError> =>
  Effect.try({
    try: () => x509.PemConverter.decodeWithHeaders(pem),
    catch: (cause) => invalid(`${what} is not valid PEM: ${describeCause(cause)}`, cause)
  }).pipe(
    Effect.map((blocks) =>
      blocks.filter((block) => block.type === CERTIFICATE_PEM_TYPE).map((block) => new Uint8Array(block.rawData))
    ),
    Effect.filterOrFail(
      (ders) => ders.length > 0,
      () => invalid(`${what} has no "-----BEGIN ${CERTIFICATE_PEM_TYPE}-----" block`)
    )
  )

/** A parsed certificate with the exact DER it was read from (node ids hash these bytes, never a re-encoding). */
export interface ParsedCertificate {
  readonly der: Uint8Array
  readonly certificate: x509.X509Certificate
}

/** The first certificate of a PEM text, or a DER certificate. */
export const parseCertificate = (
  input: string | Uint8Array,
  what: string
): Effect.Effect<ParsedCertificate, CertificateError> =>
  Effect.gen(function*() {
    const der = typeof input === "string" ? (yield* certificateBlocks(input, what))[0]! : input
    const certificate = yield* parseDer(der, what)
    return { der, certificate }
  })

/** Every certificate in a PEM text (a CA bundle may hold several). */
export const parseCertificates = (
  pem: string,
  what: string
): Effect.Effect<Array<ParsedCertificate>, CertificateError> =>
  certificateBlocks(pem, what).pipe(
    Effect.flatMap((ders) =>
      Effect.forEach(ders, (der, index) =>
        parseDer(der, ders.length === 1 ? what : `${what} (certificate ${index + 1})`).pipe(
          Effect.map((certificate) => ({ der, certificate }))
        ))
    )
  )

/** An RSA private key from PEM (PKCS#8, or PKCS#1 as older tools write it). */
export const parsePrivateKey = (pem: string, what: string): Effect.Effect<KeyObject, CertificateError> =>
  Effect.try({
    try: () => createPrivateKey({ key: pem, format: "pem" }),
    catch: (cause) => invalid(`${what} is not a valid PEM private key: ${describeCause(cause)}`, cause)
  }).pipe(
    Effect.filterOrFail(
      (key) => key.asymmetricKeyType === "rsa",
      (key) => invalid(`${what} is a ${key.asymmetricKeyType ?? "unknown"} key; Chia certificates use RSA keys`)
    )
  )

/** Succeeds when `privateKey` is the key of `certificate`'s public key. */
export const checkKeyMatches = (
  certificate: x509.X509Certificate,
  privateKey: KeyObject,
  what: string
): Effect.Effect<void, CertificateError> =>
  Effect.try({
    try: () =>
      createPublicKey({ key: Buffer.from(certificate.publicKey.rawData), format: "der", type: "spki" })
        .equals(createPublicKey(privateKey)),
    catch: (cause) =>
      new CertificateError({ reason: "KeyMismatch", message: `${what}: ${describeCause(cause)}`, cause })
  }).pipe(
    Effect.filterOrFail(
      (matches) => matches,
      () =>
        new CertificateError({
          reason: "KeyMismatch",
          message: `${what}: the private key does not match the certificate`
        })
    ),
    Effect.asVoid
  )

/** The key as a WebCrypto signing key (RSASSA-PKCS1-v1_5, SHA-256). */
export const toSigningKey = (privateKey: KeyObject): Effect.Effect<webcrypto.CryptoKey, CertificateError> =>
  Effect.tryPromise({
    try: () =>
      crypto.subtle.importKey(
        "pkcs8",
        privateKey.export({ type: "pkcs8", format: "der" }),
        RSA_SIGNATURE_ALGORITHM,
        false,
        ["sign"]
      ),
    catch: (cause) =>
      new CertificateError({
        reason: "Generate",
        message: `cannot use the key for signing: ${describeCause(cause)}`,
        cause
      })
  })

/** Byte equality of two encoded names (issuer vs subject), as OpenSSL's lookup needs them to match. */
export const sameName = (a: x509.Name, b: x509.Name): boolean =>
  Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()))
