import { Effect } from "effect"
import { crypto, parseCertificate, parseCertificates, type ParsedCertificate, sameName } from "./certificatesCrypto.js"
import { CertificateError } from "./certificatesError.js"
import * as x509 from "./certificatesX509.js"

export interface VerifyOptions {
  /** Time at which validity windows are checked; default the wall-clock time (not the Effect `Clock`). */
  readonly at?: Date | undefined
}

const verifyError = (message: string) => new CertificateError({ reason: "Verify", message })

const isCa = (certificate: x509.X509Certificate): boolean =>
  certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true

// Inclusive at both ends, as OpenSSL's X509_cmp_time checks them.
const validityProblem = (certificate: x509.X509Certificate, what: string, at: Date): string | undefined =>
  at.getTime() < certificate.notBefore.getTime()
    ? `${what} is not valid before ${certificate.notBefore.toISOString()}`
    : at.getTime() > certificate.notAfter.getTime()
    ? `${what} expired at ${certificate.notAfter.toISOString()}`
    : undefined

const signedBy = (certificate: x509.X509Certificate, ca: x509.X509Certificate): Effect.Effect<boolean> =>
  Effect.tryPromise(() => certificate.verify({ publicKey: ca.publicKey, signatureOnly: true }, crypto)).pipe(
    Effect.orElseSucceed(() => false)
  )

/** Why `certificate` does not chain to `ca` at `at`, or `undefined` when it does. */
const problemWith = (
  certificate: x509.X509Certificate,
  ca: ParsedCertificate,
  at: Date
): Effect.Effect<string | undefined> =>
  Effect.gen(function*() {
    const subject = ca.certificate.subject
    if (!sameName(certificate.issuerName, ca.certificate.subjectName)) return `issuer is not CA "${subject}"`
    if (!isCa(ca.certificate)) return `CA "${subject}" is not marked CA:TRUE`
    if (!(yield* signedBy(certificate, ca.certificate))) return `signature does not verify under CA "${subject}"`
    return validityProblem(certificate, "the certificate", at) ?? validityProblem(ca.certificate, `CA "${subject}"`, at)
  })

/**
 * Succeeds when the certificate is signed directly by one of the CA certificates (each PEM may hold several), with
 * both inside their validity windows; fails with `Verify` saying why not, or `InvalidPem` for unreadable input.
 */
export const verifyChain = (
  certificate: string | Uint8Array,
  caPems: ReadonlyArray<string>,
  options: VerifyOptions = {}
): Effect.Effect<void, CertificateError> =>
  Effect.gen(function*() {
    const leaf = yield* parseCertificate(certificate, "certificate")
    const cas = (yield* Effect.forEach(caPems, (pem, index) => parseCertificates(pem, `CA #${index + 1}`))).flat()
    if (cas.length === 0) return yield* verifyError("no CA certificate to verify against")
    const at = options.at ?? new Date()
    const problems: Array<string> = []
    for (const ca of cas) {
      const problem = yield* problemWith(leaf.certificate, ca, at)
      if (problem === undefined) return
      problems.push(problem)
    }
    return yield* verifyError(
      `certificate "${leaf.certificate.subject}" issued by "${leaf.certificate.issuer}" does not chain to any of ` +
        `${cas.length} CA certificate(s): ${problems.join("; ")}`
    )
  })
