import { Data } from "effect"

/**
 * Why a certificate operation failed.
 * - `InvalidPem`: text or bytes that are not the expected PEM/DER certificate or private key.
 * - `KeyMismatch`: the private key does not belong to the certificate.
 * - `Generate`: key generation or signing failed.
 * - `Read` / `Write`: a file could not be read or written (the path is in the message).
 * - `Verify`: the certificate does not chain to any of the given CAs, or is outside its validity window.
 */
export type CertificateErrorReason = "InvalidPem" | "KeyMismatch" | "Generate" | "Read" | "Write" | "Verify"

export class CertificateError extends Data.TaggedError("CertificateError")<{
  readonly reason: CertificateErrorReason
  readonly message: string
  readonly cause?: unknown
}> {}

/** A short description of a thrown value, for messages (`ENOENT: no such file …`, `Error: …`). */
export const describeCause = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause)
