/**
 * Helpers of the tests that run the real `peerwire` executable as child processes: one build per test file (serialised
 * across the test workers with a lock directory, since two `tsc -b` writing the same outputs race), async spawning with
 * every wait bounded, free loopback ports, and cleanup of every child still running.
 */
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const REPO = fileURLToPath(new URL("../../..", import.meta.url))
export const BIN = join(REPO, "packages/node/dist/bin.js")
const TSC = join(REPO, "node_modules/typescript/bin/tsc")
const BUILD_LOCK = join(tmpdir(), "peerwire-cli-test-build.lock")
/** A lock older than this was left by a crashed run. */
const STALE_LOCK_MS = 5 * 60_000
export const BUILD_TIMEOUT_MS = 240_000

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<Finished>
  /** The first match of `pattern` in stdout+stderr; rejects after `timeoutMs` or if the process ends first. */
  readonly waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>
  /** Sends `signal` and waits for the exit, at most `timeoutMs` (then SIGKILL and reject). */
  readonly stop: (signal: NodeJS.Signals, timeoutMs: number) => Promise<Finished & { readonly ms: number }>
}

const running = new Set<ChildProcess>()
const directories = new Set<string>()

/** Runs `tsc -b` for the whole repository, one worker at a time. */
export const buildOnce = async (): Promise<void> => {
  const deadline = Date.now() + BUILD_TIMEOUT_MS
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK)
      break
    } catch {
      try {
        const age = Date.now() - statSync(BUILD_LOCK).mtimeMs
        if (age > STALE_LOCK_MS) rmSync(BUILD_LOCK, { recursive: true, force: true })
      } catch {
        // Removed meanwhile: try again.
      }
      if (Date.now() > deadline) throw new Error("timed out waiting for another worker's build")
      await sleep(200)
    }
  }
  try {
    const build = start(process.execPath, [TSC, "-b"], { cwd: REPO })
    const result = await Promise.race([
      build.exited,
      sleep(deadline - Date.now()).then(() => {
        build.child.kill("SIGKILL")
        throw new Error("tsc -b timed out")
      })
    ])
    if (result.code !== 0) throw new Error(`tsc -b failed:\n${result.stdout}${result.stderr}`)
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true })
  }
}

const start = (command: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Running => {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options })
  running.add(child)
  let out = ""
  let err = ""
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => void (out += chunk))
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => void (err += chunk))
  const exited = new Promise<Finished>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child)
      resolve({ code, signal, stdout: out, stderr: err })
    })
  })
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs
      let ended = false
      void exited.then(() => void (ended = true))
      const check = () => {
        const match = (out + "\n" + err).match(pattern)
        if (match !== null) return resolve(match)
        if (ended) return reject(new Error(`process ended before ${pattern}:\n${out}\n${err}`))
        if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${pattern}:\n${out}\n${err}`))
        setTimeout(check, 50)
      }
      check()
    })
  const stop = async (signal: NodeJS.Signals, timeoutMs: number) => {
    const began = Date.now()
    child.kill(signal)
    const result = await Promise.race([exited, sleep(timeoutMs).then(() => undefined)])
    if (result === undefined) {
      child.kill("SIGKILL")
      throw new Error(`no exit within ${timeoutMs} ms after ${signal}:\n${out}\n${err}`)
    }
    return { ...result, ms: Date.now() - began }
  }
  return { child, stdout: () => out, stderr: () => err, exited, waitFor, stop }
}

/** Starts `peerwire ARGS…` (the built bin). */
export const spawnCli = (args: ReadonlyArray<string>, options: SpawnOptions = {}): Running =>
  start(process.execPath, [BIN, ...args], { cwd: REPO, ...options })

/** Runs `peerwire ARGS…` to its end, at most `timeoutMs`. */
export const runCli = async (
  args: ReadonlyArray<string>,
  timeoutMs = 30_000,
  options: SpawnOptions = {}
): Promise<Finished> => {
  const cli = spawnCli(args, options)
  const result = await Promise.race([cli.exited, sleep(timeoutMs).then(() => undefined)])
  if (result === undefined) {
    cli.child.kill("SIGKILL")
    const output = `${cli.stdout()}\n${cli.stderr()}`
    throw new Error(`peerwire ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${output}`)
  }
  return result
}

/** Kills every child still running, then removes the test's temporary directories (afterEach). */
export const killAll = async (): Promise<void> => {
  const left = [...running]
  for (const child of left) child.kill("SIGKILL")
  await Promise.all(left.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once("close", () => resolve())
  })))
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
  directories.clear()
}

/** A port that was free on 127.0.0.1 a moment ago. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** A new empty directory under the system temp dir, removed by `killAll`. */
export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `peerwire-${prefix}-`))
  directories.add(dir)
  return dir
}

/** Sets `port` and `rpc.port` in a data directory's config.yaml (as written by `peerwire init`). */
export const setPorts = (dataDir: string, p2p: number, rpc: number): void => {
  const file = join(dataDir, "config/config.yaml")
  const text = readFileSync(file, "utf8")
  const updated = text
    .replace(/^port: \d+$/m, `port: ${p2p}`)
    .replace(/^(rpc:\n(?:[ #].*\n)*?  port: )\d+$/m, `$1${rpc}`)
  if (updated === text) throw new Error(`no port keys in ${file}`)
  writeFileSync(file, updated)
}

/** `peerwire rpc COMMAND [PARAMS] --data-dir DIR --compact`, its answer parsed. */
export const rpc = async (dataDir: string, command: string, params?: string) => {
  const args = ["rpc", command, ...(params === undefined ? [] : [params]), "--data-dir", dataDir, "--compact"]
  const result = await runCli(args)
  let json: Record<string, unknown> | undefined
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>
  } catch {
    json = undefined
  }
  return { ...result, json }
}

/** Polls `check` every 250 ms until it yields a value, at most `timeoutMs`. */
export const eventually = async <A>(
  check: () => Promise<A | undefined>,
  timeoutMs: number,
  what: string
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await sleep(250)
  }
}
