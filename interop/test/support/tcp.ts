/**
 * Kernel byte counters of established TCP sockets (`ss -tin`, iproute2), to see traffic below the WebSocket layer —
 * e.g. the reference's WS pings and our pongs, which no frame capture shows. Linux only; fails loudly without `ss`.
 */
import { run } from "./env.js"

export interface TcpCounters {
  /** Bytes the local socket received / sent (payload bytes, TLS records included). */
  readonly received: number
  readonly sent: number
}

/** Counters of the one established socket whose local address is `host:port` and remote `remote:*`. */
export const tcpCounters = async (local: { host: string; port: number }, remoteHost: string): Promise<TcpCounters> => {
  const { stdout } = await run("ss", ["-tinH", "state", "established", `( sport = :${local.port} )`], { timeoutMs: 10_000 })
  // Each socket: an address line, then an indented info line.
  const lines = stdout.split("\n")
  const found: Array<TcpCounters> = []
  for (let i = 0; i < lines.length; i++) {
    const cells = lines[i]!.trim().split(/\s+/)
    const localCell = cells.find((c) => c === `${local.host}:${local.port}`)
    const remoteCell = cells.find((c) => c.startsWith(`${remoteHost}:`))
    if (localCell === undefined || remoteCell === undefined) continue
    const info = lines[i + 1] ?? ""
    const number = (key: string) => Number(new RegExp(`\\b${key}:(\\d+)`).exec(info)?.[1] ?? 0)
    found.push({ received: number("bytes_received"), sent: number("bytes_sent") })
  }
  if (found.length !== 1) throw new Error(`expected one socket ${local.host}:${local.port} ↔ ${remoteHost}, ss shows ${found.length}:\n${stdout}`)
  return found[0]!
}
