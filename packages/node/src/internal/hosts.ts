/** Host helpers shared by the peer manager, discovery and the introducer. */
import { BlockList, isIP } from "node:net"
import { normalizeHost } from "../BanList.js"

const LOOPBACK_V4 = new BlockList()
LOOPBACK_V4.addSubnet("127.0.0.0", 8, "ipv4")

/** `localhost`, 127.0.0.0/8 and ::1 (after normalisation, so `::ffff:127.0.0.1` counts). */
export const isLoopback = (host: string): boolean => {
  const h = normalizeHost(host)
  if (h === "localhost" || h === "::1") return true
  return isIP(h) === 4 && LOOPBACK_V4.check(h, "ipv4")
}

/** `host:port`, IPv6 in brackets. */
export const hostPort = (host: string, port: number): string => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)

/** Parses `HOST:PORT` / `[v6]:PORT`; undefined when malformed. */
export const parseHostPort = (text: string): { readonly host: string; readonly port: number } | undefined => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim())
  if (match === null) return undefined
  const port = Number(match[3])
  if (port > 65535) return undefined
  return { host: match[1] ?? match[2]!, port }
}

export { normalizeHost }
