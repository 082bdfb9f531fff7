/** Paths and process helpers shared by the interop tests (loopback only, every wait bounded). */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { inject } from "vitest"

export const REPO = fileURLToPath(new URL("../../../", import.meta.url))
export const INTEROP = `${REPO}interop`
export const VENV_PYTHON = `${REPO}.interop/venv/bin/python`

declare module "vitest" {
  export interface ProvidedContext {
    /** `.interop/artifacts/<run>/`: reference logs, frame captures, blocks of this run. */
    artifactsDir: string
  }
}

/** The artifacts folder of this run (made by the global setup). */
export const artifactsDir = (): string => inject("artifactsDir")

export interface Ran {
  readonly stdout: string
  readonly stderr: string
}

/** The exact command line, for error messages a person can paste into a shell. */
export const commandLine = (file: string, args: ReadonlyArray<string>): string =>
  [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ")

/** Runs a command to completion within `timeoutMs`; fails with the command, exit status and output tails. */
export const run = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly timeoutMs: number; readonly okCodes?: ReadonlyArray<number>; readonly input?: string }
): Promise<Ran & { readonly code: number }> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { cwd: REPO, timeout: options.timeoutMs, killSignal: "SIGTERM", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        if (error !== null && !(options.okCodes ?? []).includes(code)) {
          const why = error.killed ? `killed after ${options.timeoutMs} ms (timeout)` : `exit ${String(error.code)}`
          reject(
            new Error(
              `command failed (${why}): ${commandLine(file, args)}\n--- stderr (tail) ---\n${tail(stderr)}\n` +
                `--- stdout (tail) ---\n${tail(stdout)}`
            )
          )
          return
        }
        resolve({ stdout, stderr, code })
      }
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })

export const tail = (text: string, lines = 40): string => text.split("\n").slice(-lines).join("\n")

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every `everyMs` until it yields a value (not undefined) or `timeoutMs` passes (then fails with `what`). */
export const waitFor = async <A>(
  what: string,
  timeoutMs: number,
  check: () => Promise<A | undefined> | A | undefined,
  everyMs = 250
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
