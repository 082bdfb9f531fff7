/**
 * Reference Chia full nodes for the interop tests, through interop/reference.py: `init` a private root in a temp dir,
 * `run --die-with-parent --duration D` (the Python supervisor stops the node at D seconds, on a signal, or when this
 * process dies, whatever comes first), wait for its READY line (bounded), and stop it (bounded, then SIGKILL of the
 * whole process group). Every node started is also stopped by process exit/signal handlers. Logs are copied into the
 * run's artifacts folder on stop.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as https from "node:https"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { artifactsDir, commandLine, INTEROP, run, tail, VENV_PYTHON } from "./env.js"

/** `chia init` plus config (and, for the simulator, plot generation: ~15 s on 2 cores). */
const INIT_TIMEOUT_MS = 180_000
/** Start of the node until its P2P and RPC ports accept connections (usually 1–3 s). */
const READY_TIMEOUT_MS = 120_000
/** reference.py gives the node 15 s after SIGTERM, then SIGKILLs the group. */
const STOP_TIMEOUT_MS = 25_000
const RPC_TIMEOUT_MS = 15_000

export interface ReferenceOptions {
  /** Names the artifacts (`<name>.debug.log`, …). */
  readonly name: string
  /** P2P port (default: a free one). The node listens on every local address, so 127.0.0.2 reaches it too. */
  readonly port?: number
  /** `full_node_peers` (HOST:PORT): the node dials these and retries every 3 s. */
  readonly peers?: ReadonlyArray<string>
  /** 3 = RATE_LIMITS_V3 (capability 7 in its handshake). */
  readonly rateLimits?: 2 | 3
  readonly simulator?: boolean
  /** More config.yaml overrides, `a.b=yaml`. */
  readonly set?: ReadonlyArray<string>
  /** The supervisor's own limit: the node is stopped after this many seconds whatever happens here. */
  readonly maxSeconds: number
}

export interface Reference {
  readonly name: string
  readonly root: string
  readonly port: number
  readonly rpcPort: number
  /** The node's process group id. */
  readonly pid: number
  readonly logPath: string
  /** The node's debug log so far. */
  readonly log: () => string
  /** POST to the node's RPC (`get_connections`, `get_blockchain_state`, …) with its private client certificate. */
  readonly rpc: (endpoint: string, body?: object) => Promise<Record<string, unknown>>
  /** Stops the node (idempotent), copies its logs into the artifacts, removes the root. */
  readonly stop: () => Promise<void>
}

// ---------------------------------------------------------------------------------------------------------------------
// Cleanup of everything started, whatever way this process ends

const live = new Set<ChildProcess>()
const groups = new Set<number>()
let handlersInstalled = false

const killAll = (signal: NodeJS.Signals): void => {
  for (const child of live) child.kill(signal)
  for (const pid of groups) {
    try {
      process.kill(-pid, signal)
    } catch {
      // already gone
    }
  }
}

const installHandlers = (): void => {
  if (handlersInstalled) return
  handlersInstalled = true
  // Supervisors stop their node on SIGTERM; the group kill covers a supervisor that cannot.
  process.on("exit", () => killAll("SIGTERM"))
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll("SIGTERM")
      process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1))
    })
  }
}

// ---------------------------------------------------------------------------------------------------------------------

/** A port that was free on `host` a moment ago. */
export const freePort = (host = "127.0.0.1"): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

export const startReference = async (options: ReferenceOptions): Promise<Reference> => {
  installHandlers()
  const artifacts = artifactsDir()
  const root = mkdtempSync(`${tmpdir()}/peerwire-ref-${options.name}-`)
  const port = options.port ?? (await freePort())
  const script = `${INTEROP}/reference.py`
  const initArgs = [script, "init", root, "--port", String(port)]
  for (const peer of options.peers ?? []) initArgs.push("--peer", peer)
  if (options.rateLimits !== undefined) initArgs.push("--rate-limits", String(options.rateLimits))
  if (options.simulator === true) initArgs.push("--simulator")
  for (const s of options.set ?? []) initArgs.push("--set", s)
  await run(VENV_PYTHON, initArgs, { timeoutMs: INIT_TIMEOUT_MS })

  const runArgs = [script, "run", root, "--duration", String(options.maxSeconds), "--die-with-parent"]
  const supervisorLog = `${artifacts}/${options.name}.supervisor.log`
  const child = spawn(VENV_PYTHON, runArgs, { stdio: ["ignore", "pipe", "pipe"] })
  live.add(child)
  const errLog = createWriteStream(supervisorLog)
  child.stderr.pipe(errLog)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  void exited.then(() => live.delete(child))

  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    let buffer = ""
    const timer = setTimeout(
      () => reject(new Error(`reference ${options.name} not READY within ${READY_TIMEOUT_MS} ms: ${commandLine(VENV_PYTHON, runArgs)}`)),
      READY_TIMEOUT_MS
    )
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      const line = buffer.split("\n").find((l) => l.startsWith("READY "))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(Object.fromEntries(line.slice(6).split(" ").map((kv) => kv.split("=", 2) as [string, string])))
      }
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      const stdoutLog = `${root}/log/stdout.log`
      reject(
        new Error(
          `reference ${options.name} exited (${code ?? signal}) before READY: ${commandLine(VENV_PYTHON, runArgs)}\n` +
            `--- supervisor stderr: ${supervisorLog} ---\n` +
            (existsSync(stdoutLog) ? `--- node stdout (tail) ---\n${tail(readFileSync(stdoutLog, "utf8"))}` : "")
        )
      )
    })
  }).catch(async (e: unknown) => {
    child.kill("SIGTERM")
    await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))])
    throw e
  })
  const pid = Number(ready.pid)
  groups.add(pid)
  const logPath = `${root}/log/debug.log`
  const rpcPort = Number(ready.rpc_port)

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      child.kill("SIGTERM")
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), STOP_TIMEOUT_MS))])
      if (!done) child.kill("SIGKILL")
      if (groupAlive(pid)) process.kill(-pid, "SIGKILL")
      groups.delete(pid)
      errLog.end()
      mkdirSync(artifacts, { recursive: true })
      for (const [from, to] of [
        [logPath, "debug.log"],
        [`${root}/log/stdout.log`, "stdout.log"],
        [`${root}/config/config.yaml`, "config.yaml"]
      ] as const) {
        if (existsSync(from)) copyFileSync(from, `${artifacts}/${options.name}.${to}`)
      }
      rmSync(root, { recursive: true, force: true })
    })()
    return stopped
  }

  return {
    name: options.name,
    root,
    port,
    rpcPort,
    pid,
    logPath,
    log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
    rpc: (endpoint, body) => rpcCall(root, rpcPort, endpoint, body ?? {}),
    stop
  }
}

const rpcCall = (root: string, port: number, endpoint: string, body: object): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const ssl = `${root}/config/ssl`
    const request = https.request(
      {
        host: "127.0.0.1",
        port,
        path: `/${endpoint}`,
        method: "POST",
        headers: { "content-type": "application/json" },
        ca: readFileSync(`${ssl}/ca/private_ca.crt`),
        cert: readFileSync(`${ssl}/full_node/private_full_node.crt`),
        key: readFileSync(`${ssl}/full_node/private_full_node.key`),
        // The RPC certificate names "chia.net"; we reach it by IP on loopback.
        checkServerIdentity: () => undefined,
        timeout: RPC_TIMEOUT_MS
      },
      (response) => {
        let text = ""
        response.setEncoding("utf8")
        response.on("data", (c: string) => (text += c))
        response.on("end", () => {
          try {
            resolve(JSON.parse(text) as Record<string, unknown>)
          } catch (e) {
            reject(new Error(`RPC ${endpoint}: HTTP ${response.statusCode}, not JSON: ${text.slice(0, 300)} (${String(e)})`))
          }
        })
      }
    )
    request.on("timeout", () => request.destroy(new Error(`RPC ${endpoint} timed out after ${RPC_TIMEOUT_MS} ms`)))
    request.on("error", reject)
    request.end(JSON.stringify(body))
  })

// ---------------------------------------------------------------------------------------------------------------------
// The reference's log

/** One log record: a timestamped line plus its continuation lines (tracebacks). */
export const logRecords = (text: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const line of text.split("\n")) {
    if (/^\d{4}-\d\d-\d\dT/.test(line) || out.length === 0) out.push(line)
    else out[out.length - 1] += `\n${line}`
  }
  return out.filter((r) => r.trim() !== "")
}

/** Words the reference uses when something went wrong with a peer (besides the WARNING/ERROR levels). */
// ("rate limited", not "rate limit": "Activating rate limits v3 with peer …" is a normal INFO line.)
const TROUBLE = /\b(WARNING|ERROR|CRITICAL)\b|Banning|banned|Traceback|Exception|Invalid|invalid|error|Error|rate limited/

/** Records about trouble that mention any of `needles` (our address, our node id). */
export const troubleAbout = (text: string, needles: ReadonlyArray<string>): ReadonlyArray<string> =>
  logRecords(text).filter((r) => TROUBLE.test(r) && needles.some((n) => r.includes(n)))

/** Records mentioning any of `needles`. */
export const recordsAbout = (text: string, needles: ReadonlyArray<string>): ReadonlyArray<string> =>
  logRecords(text).filter((r) => needles.some((n) => r.includes(n)))
