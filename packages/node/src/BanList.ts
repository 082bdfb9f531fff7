/**
 * The `BanList` service: applies the peer layer's ban verdicts. Bans are keyed by IP only (all ports), keep the later of
 * two expiry times, never apply to localhost or trusted peers, expire on the Effect clock, and are persisted in the data
 * directory. The transport's gate asks `isBanned` before the WebSocket upgrade and answers HTTP 403.
 */
import type { Duration } from "effect"
import { Clock, Context, Data, Effect, Layer, Schema } from "effect"
import { readFile } from "node:fs/promises"
import { BlockList, isIP } from "node:net"
import { writeFileAtomic } from "./internal/atomicFile.js"
import { persistPeriodically } from "./internal/persistence.js"

export class BanListError extends Data.TaggedError("BanListError")<{
  readonly reason: "Read" | "Write" | "InvalidFile"
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

export interface Ban {
  readonly host: string
  /** Epoch milliseconds when the ban ends. */
  readonly until: number
  readonly reason: string
}

export interface BanListShape {
  /** Bans `host` for `seconds` (keeps a later existing expiry). Returns false when the host is exempt or seconds ≤ 0. */
  readonly ban: (host: string, seconds: number, reason: string) => Effect.Effect<boolean>
  readonly unban: (host: string) => Effect.Effect<boolean>
  readonly isBanned: (host: string) => Effect.Effect<boolean>
  /** Current (unexpired) bans. */
  readonly list: Effect.Effect<ReadonlyArray<Ban>>
  /** True for hosts no ban applies to (localhost, trusted networks). */
  readonly isExempt: (host: string) => boolean
  readonly flush: Effect.Effect<void, BanListError>
}

export class BanList extends Context.Tag("@peerwire/node/BanList")<BanList, BanListShape>() {}

export interface BanListOptions {
  /** File to persist to; undefined keeps bans in memory only. */
  readonly path?: string | undefined
  /** CIDRs (or single IPs) that are never banned, besides loopback. */
  readonly trustedNetworks?: ReadonlyArray<string> | undefined
  /** Exempt 127.0.0.1 and ::1, as the reference does. Default true; tests of banning on 127.0.0.1 turn it off. */
  readonly exemptLocalhost?: boolean | undefined
  readonly flushInterval?: Duration.DurationInput | undefined
}

const BanFile = Schema.parseJson(
  Schema.Struct({
    version: Schema.Literal(1),
    bans: Schema.Array(Schema.Struct({ host: Schema.String, until: Schema.Number, reason: Schema.String }))
  })
)

/** Exactly the hosts the reference treats as local (`is_localhost`): not all of 127/8. */
const LOCALHOST = new Set(["127.0.0.1", "localhost", "::1", "0:0:0:0:0:0:0:1"])

/** Canonical key for a host: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as Node reports some sockets) becomes plain IPv4. */
export const normalizeHost = (host: string): string => {
  const lower = host.toLowerCase().replace(/^\[|\]$/g, "")
  return lower.startsWith("::ffff:") && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower
}

const parseTrusted = (networks: ReadonlyArray<string>): BlockList => {
  const list = new BlockList()
  for (const entry of networks) {
    const [net, prefix] = entry.split("/") as [string, string | undefined]
    const family = isIP(net) === 6 ? "ipv6" : "ipv4"
    if (prefix === undefined) list.addAddress(net, family)
    else list.addSubnet(net, Number(prefix), family)
  }
  return list
}

const matches = (list: BlockList, host: string): boolean => {
  const family = isIP(host)
  return family !== 0 && list.check(host, family === 4 ? "ipv4" : "ipv6")
}

export const make = (options: BanListOptions = {}) =>
  Effect.gen(function* () {
    const bans = new Map<string, Ban>()
    const trusted = parseTrusted(options.trustedNetworks ?? [])
    const exemptLocalhost = options.exemptLocalhost ?? true
    const path = options.path
    if (path !== undefined) {
      const text = yield* Effect.tryPromise(() => readFile(path, "utf8")).pipe(Effect.orElseSucceed(() => undefined))
      if (text !== undefined) {
        const decoded = Schema.decodeUnknownEither(BanFile)(text)
        if (decoded._tag === "Left") {
          yield* Effect.logWarning(`ban list ${path} is unreadable (${decoded.left.message.split("\n")[0]}); starting empty`)
        } else {
          for (const ban of decoded.right.bans) bans.set(normalizeHost(ban.host), ban)
        }
      }
    }
    const isExempt = (host: string) => {
      const h = normalizeHost(host)
      return (exemptLocalhost && LOCALHOST.has(h)) || matches(trusted, h)
    }
    const current = (now: number): Array<Ban> => {
      for (const [host, ban] of bans) if (ban.until <= now) bans.delete(host)
      return Array.from(bans.values())
    }
    const service: BanListShape = {
      ban: (host, seconds, reason) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          if (seconds <= 0 || isExempt(host)) return false
          const key = normalizeHost(host)
          const until = now + seconds * 1000
          const existing = bans.get(key)
          if (existing === undefined || existing.until < until) bans.set(key, { host: key, until, reason })
          return true
        }),
      unban: (host) => Effect.sync(() => bans.delete(normalizeHost(host))),
      isBanned: (host) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const ban = bans.get(normalizeHost(host))
          return ban !== undefined && ban.until > now
        }),
      list: Effect.map(Clock.currentTimeMillis, current),
      isExempt,
      flush:
        path === undefined
          ? Effect.void
          : Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.tryPromise({
                try: () => writeFileAtomic(path, JSON.stringify({ version: 1, bans: current(now) })),
                catch: (cause) => new BanListError({ reason: "Write", path, message: `cannot write ${path}: ${String(cause)}`, cause })
              })
            )
    }
    return service
  })

/** How often the ban list is written while running (and once more at the end). */
export const DEFAULT_BAN_FLUSH_INTERVAL = "1 minute" as const

/** The service with persistence: restored at start, written every `flushInterval` and at the end. */
export const layer = (options: BanListOptions = {}): Layer.Layer<BanList> =>
  Layer.scoped(
    BanList,
    Effect.gen(function* () {
      const service = yield* make(options)
      if (options.path !== undefined) {
        yield* persistPeriodically(service.flush, options.flushInterval ?? DEFAULT_BAN_FLUSH_INTERVAL)
      }
      return service
    })
  )
