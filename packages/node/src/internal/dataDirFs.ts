/** File-system helpers of the data directory: existence checks and directory creation with one-line error messages. */
import { Effect } from "effect"
import { mkdir, stat } from "node:fs/promises"

/** What an `errno` code means, in words a user can act on. */
const CODE_MEANINGS: Readonly<Record<string, string>> = {
  ENOTDIR: "a part of the path is a file, not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EEXIST: "exists and is not a directory",
  ENOSPC: "no space left on device",
  ENAMETOOLONG: "path too long",
  ELOOP: "too many symbolic links"
}

const errnoCode = (cause: unknown): string | undefined => {
  const code = (cause as { readonly code?: unknown } | null)?.code
  return typeof code === "string" ? code : undefined
}

/** `permission denied (EACCES)`, or the first line of the error message for codes without a meaning above. */
export const describeFsError = (cause: unknown): string => {
  const code = errnoCode(cause)
  if (code !== undefined && CODE_MEANINGS[code] !== undefined) return `${CODE_MEANINGS[code]} (${code})`
  const message = cause instanceof Error ? cause.message : String(cause)
  return message.split("\n")[0] ?? message
}

export type PathState = "missing" | "file" | "directory" | "other"

/** What is at `path`; fails (with the raw cause) for anything but "exists" and "does not exist". */
export const pathState = (path: string): Effect.Effect<PathState, unknown> =>
  Effect.tryPromise({
    try: async (): Promise<PathState> => {
      try {
        const info = await stat(path)
        return info.isFile() ? "file" : info.isDirectory() ? "directory" : "other"
      } catch (cause) {
        if (errnoCode(cause) === "ENOENT") return "missing"
        throw cause
      }
    },
    catch: (cause) => cause
  })

/** Creates `path` (and its parents) unless it is a directory already; tells whether it created it. */
export const ensureDirectory = (path: string, mode: number): Effect.Effect<boolean, unknown> =>
  Effect.gen(function* () {
    const state = yield* pathState(path)
    if (state === "directory") return false
    if (state !== "missing") {
      return yield* Effect.fail<unknown>(Object.assign(new Error("not a directory"), { code: "EEXIST" }))
    }
    yield* Effect.tryPromise({ try: () => mkdir(path, { recursive: true, mode }), catch: (cause) => cause })
    return true
  })
