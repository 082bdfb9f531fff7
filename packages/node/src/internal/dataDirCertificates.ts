/**
 * Certificate pairs of the data directory, made the way the reference's `create_all_ssl` makes them, except that an
 * existing file is never replaced: a pair is loaded when both files exist, generated when neither does, and anything
 * else (one file of two, a key that does not match, a certificate its CA did not sign) is an error naming the file.
 */
import { Effect } from "effect"
import { Certificates, type TlsIdentity } from "@peerwire/transport"
import { DataDirError } from "./dataDirError.js"
import { describeFsError, pathState } from "./dataDirFs.js"

export interface PairPaths {
  readonly certificate: string
  readonly privateKey: string
}

export interface PairOutcome {
  readonly identity: TlsIdentity
  readonly created: boolean
}

/** The CA a node certificate must chain to, and how to name it in messages. */
export interface Issuer {
  readonly ca: TlsIdentity
  readonly name: string
}

const certificateError = (path: string, message: string, cause?: unknown) =>
  new DataDirError({ reason: "Certificate", path, message, cause })

const exists = (path: string): Effect.Effect<boolean, DataDirError> =>
  pathState(path).pipe(
    Effect.mapError((cause) => certificateError(path, `cannot check ${path}: ${describeFsError(cause)}`, cause)),
    Effect.flatMap((state) =>
      state === "missing" ? Effect.succeed(false)
        : state === "file" ? Effect.succeed(true)
        : Effect.fail(certificateError(path, `${path} exists but is not a regular file`))
    )
  )

const loadExisting = (paths: PairPaths, issuer: Issuer | undefined): Effect.Effect<TlsIdentity, DataDirError> =>
  Effect.gen(function* () {
    const identity = yield* Certificates.loadIdentity(paths.certificate, paths.privateKey).pipe(
      Effect.mapError((e) => certificateError(paths.certificate, e.message, e))
    )
    if (issuer !== undefined) {
      yield* Certificates.verifyChain(identity.certificatePem, [issuer.ca.certificatePem]).pipe(
        Effect.mapError((e) =>
          certificateError(
            paths.certificate,
            `${paths.certificate} is not signed by the ${issuer.name} (${e.message.split("\n")[0]}); ` +
              `move it and its key away to have a new pair made`,
            e
          )
        )
      )
    }
    return identity
  })

/**
 * Loads the pair at `paths`, or, when neither file exists, makes one with `generate` and writes it (key 0600,
 * certificate 0644, atomically). With an `issuer`, an existing certificate must chain to it.
 */
export const ensurePair = (
  paths: PairPaths,
  generate: Effect.Effect<TlsIdentity, Certificates.CertificateError>,
  issuer?: Issuer
): Effect.Effect<PairOutcome, DataDirError> =>
  Effect.gen(function* () {
    const haveCertificate = yield* exists(paths.certificate)
    const haveKey = yield* exists(paths.privateKey)
    if (haveCertificate && haveKey) return { identity: yield* loadExisting(paths, issuer), created: false }
    if (haveCertificate !== haveKey) {
      const [present, missing] = haveCertificate
        ? [paths.certificate, paths.privateKey]
        : [paths.privateKey, paths.certificate]
      return yield* Effect.fail(
        certificateError(missing, `${missing} is missing but ${present} exists; restore it, or move both away`)
      )
    }
    const identity = yield* generate.pipe(Effect.mapError((e) => certificateError(paths.certificate, e.message, e)))
    yield* Certificates.saveIdentity(identity, paths.certificate, paths.privateKey).pipe(
      Effect.mapError((e) => certificateError(paths.certificate, e.message.split("\n")[0] ?? e.message, e))
    )
    return { identity, created: true }
  })
