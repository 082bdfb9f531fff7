/**
 * Address arithmetic of the address manager: network groups (/16 for IPv4, /32 for IPv6), the 18-byte address key that
 * feeds bucket hashing, and the "private address" test the reference applies (Python `ipaddress.is_private`).
 */
import { createHash } from "node:crypto"
import { BlockList, isIP } from "node:net"

export interface PeerAddress {
  readonly host: string
  readonly port: number
}

// Two lists: a single BlockList would match every IPv4 address against the IPv4-mapped IPv6 rule (::ffff:0:0/96).
const privateV4 = new BlockList()
const privateV6 = new BlockList()
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.0.0.0", 29],
  ["192.0.0.170", 31], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24],
  ["203.0.113.0", 24], ["240.0.0.0", 4], ["255.255.255.255", 32]
] as const) privateV4.addSubnet(net, prefix, "ipv4")
for (const [net, prefix] of [
  ["::1", 128], ["::", 128], ["::ffff:0:0", 96], ["100::", 64], ["2001::", 23], ["2001:db8::", 32], ["2001:10::", 28],
  ["fc00::", 7], ["fe80::", 10]
] as const) privateV6.addSubnet(net, prefix, "ipv6")

/** True for loopback, RFC 1918, link-local, ULA, documentation and other non-routable ranges. */
export const isPrivate = (host: string): boolean => {
  const family = isIP(host)
  if (family === 0) return false
  return family === 4 ? privateV4.check(host, "ipv4") : privateV6.check(host, "ipv6")
}

/** 4 bytes for IPv4, 16 for IPv6 (expanded), undefined for anything that is not an IP literal. */
export const ipBytes = (host: string): Uint8Array | undefined => {
  const family = isIP(host)
  if (family === 4) return Uint8Array.from(host.split(".").map(Number))
  if (family !== 6) return undefined
  let text = host
  let tail: Array<number> = []
  const lastColon = text.lastIndexOf(":")
  if (text.includes(".")) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
    const v4 = text.slice(lastColon + 1).split(".").map(Number)
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!]
    text = text.slice(0, lastColon) + ":0"
  }
  const [head, rest] = text.split("::") as [string, string | undefined]
  const parse = (part: string | undefined) => (part ? part.split(":").filter((g) => g.length > 0).map((g) => parseInt(g, 16)) : [])
  let groups: Array<number>
  if (rest === undefined) groups = parse(head)
  else {
    const left = parse(head)
    const right = parse(rest)
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  }
  if (tail.length === 2) groups = [...groups.slice(0, 6), ...tail]
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8
    out[2 * i + 1] = g & 0xff
  })
  return out
}

/** The network group: `0x01 ‖ first 2 bytes` (IPv4 /16) or `0x00 ‖ first 4 bytes` (IPv6 /32). */
export const group = (host: string): Uint8Array => {
  const ip = ipBytes(host)
  if (ip === undefined) return Uint8Array.of(0xff, ...Buffer.from(host))
  return ip.length === 4 ? Uint8Array.of(1, ip[0]!, ip[1]!) : Uint8Array.of(0, ip[0]!, ip[1]!, ip[2]!, ip[3]!)
}

/** Group as a string, for "one outbound connection per group" bookkeeping. */
export const groupKey = (host: string): string => Buffer.from(group(host)).toString("hex")

/** 16 address bytes (IPv4 mapped into 2002::/16 at bit 80, like the reference) followed by the port, big-endian. */
export const addressKey = (address: PeerAddress): Uint8Array => {
  const ip = ipBytes(address.host)
  const out = new Uint8Array(18)
  if (ip === undefined) out.set(createHash("sha256").update(address.host).digest().subarray(0, 16))
  else if (ip.length === 4) {
    out[0] = 0x20
    out[1] = 0x02
    out.set(ip, 2)
  } else out.set(ip)
  out[16] = address.port >> 8
  out[17] = address.port & 0xff
  return out
}

export const sameAddress = (a: PeerAddress, b: PeerAddress): boolean => a.host === b.host && a.port === b.port
