import { Effect } from "effect"
import { KeyObject, randomBytes, type webcrypto } from "node:crypto"
import type { TlsIdentity } from "../Transport.js"
import {
  checkKeyMatches,
  crypto,
  parseCertificate,
  parsePrivateKey,
  RSA_SIGNATURE_ALGORITHM,
  toSigningKey
} from "./certificatesCrypto.js"
import { CertificateError, describeCause } from "./certificatesError.js"
import * as x509 from "./certificatesX509.js"

/** RSA modulus size of every key the reference generates (`rsa.generate_private_key(key_size=2048)`). */
export const RSA_MODULUS_BITS = 2048
/** RSA public exponent (`public_exponent=65537`). */
export const RSA_PUBLIC_EXPONENT = 65537
/** Lifetime of a private CA made by `generateCa` (`make_ca_cert`: now → now + 3650 days). */
export const CA_VALIDITY_DAYS = 3650
/** How far a node certificate's notBefore is set in the past (`generate_ca_signed_cert`: today − 1 day). */
export const NODE_CERTIFICATE_BACKDATE_DAYS = 1
/** Fixed notAfter of every node certificate (`datetime(2100, 8, 2)`, UTC). */
export const NODE_CERTIFICATE_NOT_AFTER = "2100-08-02T00:00:00Z"
/** The only subject alternative name of a node certificate (DNS, non-critical). */
export const NODE_CERTIFICATE_DNS_NAME = "chia.net"
/** Random serial size: 20 bytes with the top bit cleared, 159 bits like `x509.random_serial_number()`. */
export const SERIAL_NUMBER_BYTES = 20

/** A distinguished name as ordered (attribute, value) pairs, one RDN each; values are encoded as UTF8String. */
export type DistinguishedName = ReadonlyArray<readonly [attribute: "CN" | "O" | "OU", value: string]>

/** Subject (= issuer) of a CA made by the reference's `make_ca_cert`, in its RDN order; also the public Chia CA's. */
export const CA_SUBJECT: DistinguishedName = [["O", "Chia"], ["CN", "Chia CA"], ["OU", "Organic Farming Division"]]
/** Subject of a node certificate (`generate_ca_signed_cert`), in its RDN order. */
export const NODE_SUBJECT: DistinguishedName = [["CN", "Chia"], ["O", "Chia"], ["OU", "Organic Farming Division"]]

const DAY_MS = 86_400_000
/** `RSA_PUBLIC_EXPONENT` as WebCrypto wants it: big-endian bytes. */
const PUBLIC_EXPONENT_BYTES = new Uint8Array([0x01, 0x00, 0x01])

export interface GenerateCaOptions {
  /** Start of validity; default the wall-clock time (not the Effect `Clock`, which tests freeze at 1970). */
  readonly now?: Date | undefined
  /** Default `CA_VALIDITY_DAYS`. */
  readonly validityDays?: number | undefined
}

export interface GenerateNodeCertificateOptions {
  /** notBefore is `now` − `NODE_CERTIFICATE_BACKDATE_DAYS`; default the wall-clock time. */
  readonly now?: Date | undefined
  /** Default `NODE_CERTIFICATE_NOT_AFTER`. */
  readonly notAfter?: Date | undefined
}

// The reference (Python `cryptography`) encodes these attributes as UTF8String; x509's string form would pick
// PrintableString, so the JSON form pins the string type.
const toName = (name: DistinguishedName): x509.Name =>
  new x509.Name(name.map(([attribute, value]) => ({ [attribute]: [{ utf8String: value }] })))

const randomSerialHex = (): string => {
  const bytes = randomBytes(SERIAL_NUMBER_BYTES)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString("hex")
}

const generationError = (what: string) => (cause: unknown) =>
  new CertificateError({ reason: "Generate", message: `cannot generate ${what}: ${describeCause(cause)}`, cause })

const generateKeyPair = (what: string): Effect.Effect<webcrypto.CryptoKeyPair, CertificateError> =>
  Effect.tryPromise({
    try: () =>
      crypto.subtle.generateKey(
        {
          ...RSA_SIGNATURE_ALGORITHM,
          modulusLength: RSA_MODULUS_BITS,
          publicExponent: PUBLIC_EXPONENT_BYTES
        },
        true,
        ["sign", "verify"]
      ),
    catch: generationError(`the ${what} key pair`)
  })

// PEM as OpenSSL and the reference write it: 64-column base64, "\n" line ends, a final newline.
const toIdentity = (certificate: x509.X509Certificate, privateKey: webcrypto.CryptoKey): TlsIdentity => ({
  certificatePem: certificate.toString("pem").trimEnd() + "\n",
  privateKeyPem: KeyObject.from(privateKey).export({ type: "pkcs8", format: "pem" }).toString()
})

const withinRange = (validityDays: number): boolean => Number.isInteger(validityDays) && validityDays > 0

/** A private CA like the reference's `make_ca_cert`. */
export const generateCa = (options: GenerateCaOptions = {}): Effect.Effect<TlsIdentity, CertificateError> =>
  Effect.gen(function*() {
    const validityDays = options.validityDays ?? CA_VALIDITY_DAYS
    if (!withinRange(validityDays)) {
      return yield* generationError("a CA")(`validityDays must be a positive integer, got ${validityDays}`)
    }
    const keys = yield* generateKeyPair("CA")
    const notBefore = options.now ?? new Date()
    const certificate = yield* Effect.tryPromise({
      try: () =>
        x509.X509CertificateGenerator.create({
          subject: toName(CA_SUBJECT),
          issuer: toName(CA_SUBJECT),
          publicKey: keys.publicKey,
          signingKey: keys.privateKey,
          serialNumber: randomSerialHex(),
          notBefore,
          notAfter: new Date(notBefore.getTime() + validityDays * DAY_MS),
          extensions: [new x509.BasicConstraintsExtension(true, undefined, true)]
        }, crypto),
      catch: generationError("the CA certificate")
    })
    return toIdentity(certificate, keys.privateKey)
  })

/** A node certificate signed by `ca`, like the reference's `generate_ca_signed_cert`. */
export const generateNodeCertificate = (
  ca: TlsIdentity,
  options: GenerateNodeCertificateOptions = {}
): Effect.Effect<TlsIdentity, CertificateError> =>
  Effect.gen(function*() {
    const { certificate: caCertificate } = yield* parseCertificate(ca.certificatePem, "CA certificate")
    const caKey = yield* parsePrivateKey(ca.privateKeyPem, "CA private key")
    yield* checkKeyMatches(caCertificate, caKey, "CA")
    const signingKey = yield* toSigningKey(caKey)
    const keys = yield* generateKeyPair("node")
    const now = options.now ?? new Date()
    const certificate = yield* Effect.tryPromise({
      try: () =>
        x509.X509CertificateGenerator.create({
          subject: toName(NODE_SUBJECT),
          // The CA's own encoded subject, byte for byte, so name matching in any verifier is exact.
          issuer: caCertificate.subjectName,
          publicKey: keys.publicKey,
          signingKey,
          serialNumber: randomSerialHex(),
          notBefore: new Date(now.getTime() - NODE_CERTIFICATE_BACKDATE_DAYS * DAY_MS),
          notAfter: options.notAfter ?? new Date(NODE_CERTIFICATE_NOT_AFTER),
          extensions: [
            new x509.SubjectAlternativeNameExtension([{ type: "dns", value: NODE_CERTIFICATE_DNS_NAME }], false)
          ]
        }, crypto),
      catch: generationError("the node certificate")
    })
    return toIdentity(certificate, keys.privateKey)
  })
