import { Data } from "effect"

/**
 * Why the data directory could not be set up.
 * - `Directory`: a directory could not be created or is not a directory (permissions, a file in the way, read-only).
 * - `Certificate`: an existing certificate or key is unreadable, incomplete (one file of a pair), or not signed by its
 *   CA; or a new one could not be generated or written. Existing files are never replaced, so the user decides.
 * - `Config`: `config.yaml` could not be written.
 * - `InvalidNetwork`: a network name that cannot be a directory name.
 */
export type DataDirErrorReason = "Directory" | "Certificate" | "Config" | "InvalidNetwork"

export class DataDirError extends Data.TaggedError("DataDirError")<{
  readonly reason: DataDirErrorReason
  /** The path the problem is about. */
  readonly path: string
  /** One line, naming the path. */
  readonly message: string
  readonly cause?: unknown
}> {}
