/**
 * TLS certificates as the Chia reference node makes and checks them (`chia/ssl/create_ssl.py`): private CAs, node
 * certificates signed by a CA, the public "Chia CA", node ids, chain checks, and identity files.
 *
 * A node id is the SHA-256 of the DER certificate a peer presents. Chain checks prove nothing about identity when the
 * CA key is public (the Chia CA's is), they only mirror what the reference's TLS settings require.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { fileURLToPath } from "node:url"
import { parseCertificate } from "./internal/certificatesCrypto.js"
import { loadIdentity } from "./internal/certificatesFiles.js"
import type { CertificateError } from "./internal/certificatesError.js"
import type { TlsIdentity } from "./Transport.js"

export { CertificateError, type CertificateErrorReason } from "./internal/certificatesError.js"
export {
  CERTIFICATE_FILE_MODE,
  checkIdentity,
  loadIdentity,
  MAX_PEM_FILE_BYTES,
  PRIVATE_KEY_FILE_MODE,
  saveIdentity
} from "./internal/certificatesFiles.js"
export {
  CA_SUBJECT,
  CA_VALIDITY_DAYS,
  type DistinguishedName,
  generateCa,
  type GenerateCaOptions,
  generateNodeCertificate,
  type GenerateNodeCertificateOptions,
  NODE_CERTIFICATE_BACKDATE_DAYS,
  NODE_CERTIFICATE_DNS_NAME,
  NODE_CERTIFICATE_NOT_AFTER,
  NODE_SUBJECT,
  RSA_MODULUS_BITS,
  RSA_PUBLIC_EXPONENT,
  SERIAL_NUMBER_BYTES
} from "./internal/certificatesGenerate.js"
export { verifyChain, type VerifyOptions } from "./internal/certificatesVerify.js"

// `../assets` is the package's assets folder both from `src/` (tests, vitest) and from `dist/` (after `tsc -b`).
const chiaCaAsset = (file: string): string => fileURLToPath(new URL(`../assets/chia-ca/${file}`, import.meta.url))

/** Path of the bundled public Chia CA certificate (`chia/ssl/chia_ca.crt` of the reference). */
export const CHIA_CA_CERTIFICATE_PATH: string = chiaCaAsset("chia_ca.crt")
/** Path of the bundled public Chia CA private key (`chia/ssl/chia_ca.key`; public, well known). */
export const CHIA_CA_PRIVATE_KEY_PATH: string = chiaCaAsset("chia_ca.key")

/** The public Chia CA, read from the bundled files on each run. It signs public node certificates, proves nothing. */
export const chiaCa: Effect.Effect<TlsIdentity, CertificateError> = loadIdentity(
  CHIA_CA_CERTIFICATE_PATH,
  CHIA_CA_PRIVATE_KEY_PATH
)

/** The exact DER bytes of the (first) certificate in a PEM text. */
export const certificateDer = (pem: string): Effect.Effect<Uint8Array, CertificateError> =>
  parseCertificate(pem, "certificate").pipe(Effect.map((parsed) => parsed.der))

/** A node id: SHA-256 of a DER certificate (the reference's `calculate_node_id` / remote `peer_id`). */
export const nodeId = (der: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(der).digest())

/** A node id in lower-case hex without prefix, as the reference prints it (`node_id.hex()`, `trusted_peers` keys). */
export const nodeIdHex = (der: Uint8Array): string => createHash("sha256").update(der).digest("hex")
