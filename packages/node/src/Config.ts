/**
 * The node's configuration: `config.yaml` in the data directory, validated with Schema at start. Every key has a documented
 * default (written out, commented, by `peerwire init`); an invalid value names its key and what was expected; unknown keys
 * are reported (as warnings: a typo must not stop a node, but it must not pass unnoticed either).
 */
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import { readFile } from "node:fs/promises"
import YAML from "yaml"
import { DEFAULT_MAX_INBOUND_CONNECTIONS } from "./PeerManager.js"

const Port = Schema.Int.pipe(Schema.between(0, 65535), Schema.annotations({ description: "a port number 0..65535" }))
const Seconds = Schema.Number.pipe(Schema.positive(), Schema.annotations({ description: "a positive number of seconds" }))
const Count = Schema.Int.pipe(Schema.nonNegative(), Schema.annotations({ description: "a whole number ≥ 0" }))
const Percent = Schema.Number.pipe(Schema.between(1, 1000), Schema.annotations({ description: "a percentage 1..1000" }))
const HostPort = Schema.String.pipe(
  Schema.pattern(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/),
  Schema.annotations({ description: "HOST:PORT (IPv6 as [addr]:port)" })
)

const withDefault = <S extends Schema.Schema.AnyNoContext>(schema: S, value: Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: () => value })

/** Public Chia DNS seeders (the reference's `dns_servers`). */
export const DEFAULT_DNS_SERVERS = [
  "dns-introducer.chia.net",
  "chia.ctrlaltdel.ch",
  "seeder.dexie.space",
  "chia.hoffmang.com",
  "seeder.xchpool.org",
  "seeder.xchseeder.com"
] as const

export const Discovery = Schema.Struct({
  enabled: withDefault(Schema.Boolean, true),
  target_outbound_peers: withDefault(Count, 8),
  peer_connect_interval: withDefault(Seconds, 30),
  feeler_interval: withDefault(Seconds, 240),
  dns_servers: withDefault(Schema.Array(Schema.String), DEFAULT_DNS_SERVERS),
  introducer: withDefault(Schema.NullOr(HostPort), "introducer.chia.net:8444"),
  enable_private_networks: withDefault(Schema.Boolean, false)
})

export const Inbound = Schema.Struct({
  max_full_nodes: withDefault(Count, 32),
  max_wallets: withDefault(Count, 20),
  max_farmers: withDefault(Count, 10),
  /** All inbound connections together, handshakes in progress included (the reference's accept limit, 32 + 100). */
  max_connections: withDefault(Count, DEFAULT_MAX_INBOUND_CONNECTIONS)
})

export const Timeouts = Schema.Struct({
  peer_connect_timeout: withDefault(Seconds, 30),
  outbound_handshake_timeout: withDefault(Seconds, 120),
  request_timeout: withDefault(Seconds, 60),
  ping_interval: withDefault(Seconds, 60),
  pong_timeout: withDefault(Seconds, 30),
  idle_timeout: withDefault(Seconds, 1800)
})

export const RateLimits = Schema.Struct({
  inbound_percent: withDefault(Percent, 100),
  outbound_percent: withDefault(Percent, 30),
  /** 2 or 3: 3 advertises capability 7 and negotiates ConfigureWindowSizes. */
  version: withDefault(Schema.Literal(2, 3), 2)
})

export const Bans = Schema.Struct({
  trusted_networks: withDefault(Schema.Array(Schema.String), []),
  exempt_localhost: withDefault(Schema.Boolean, true)
})

export const Introducer = Schema.Struct({
  max_peers_to_send: withDefault(Count, 20),
  recent_peer_threshold: withDefault(Seconds, 6000)
})

export const Rpc = Schema.Struct({
  host: withDefault(Schema.String, "127.0.0.1"),
  port: withDefault(Port, 8555)
})

export const Logging = Schema.Struct({
  level: withDefault(Schema.Literal("trace", "debug", "info", "warning", "error", "none"), "info"),
  format: withDefault(Schema.Literal("text", "json"), "text")
})

export const NodeConfig = Schema.Struct({
  network: withDefault(Schema.String.pipe(Schema.minLength(1)), "mainnet"),
  listen_host: withDefault(Schema.String, "0.0.0.0"),
  port: withDefault(Port, 8444),
  peers: withDefault(Schema.Array(HostPort), []),
  discovery: withDefault(Discovery, Schema.decodeSync(Discovery)({})),
  inbound: withDefault(Inbound, Schema.decodeSync(Inbound)({})),
  timeouts: withDefault(Timeouts, Schema.decodeSync(Timeouts)({})),
  rate_limits: withDefault(RateLimits, Schema.decodeSync(RateLimits)({})),
  bans: withDefault(Bans, Schema.decodeSync(Bans)({})),
  introducer: withDefault(Introducer, Schema.decodeSync(Introducer)({})),
  rpc: withDefault(Rpc, Schema.decodeSync(Rpc)({})),
  logging: withDefault(Logging, Schema.decodeSync(Logging)({}))
})
export type NodeConfig = typeof NodeConfig.Type

export const defaultConfig: NodeConfig = Schema.decodeSync(NodeConfig)({})

export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly reason: "Read" | "Syntax" | "Invalid"
  readonly path: string
  readonly message: string
}> {}

/** Keys present in `value` that the schema does not know, as dotted paths. */
const unknownKeys = (value: unknown, known: unknown, prefix = ""): Array<string> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return []
  if (typeof known !== "object" || known === null || Array.isArray(known)) return []
  const out: Array<string> = []
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === "" ? key : `${prefix}.${key}`
    if (!(key in known)) out.push(path)
    else out.push(...unknownKeys(child, (known as Record<string, unknown>)[key], path))
  }
  return out
}

/**
 * One entry per key: `key.path: expected …, got …`. An optional key's schema is a union with `undefined`, which adds a
 * useless "Expected undefined" line for the key (and for its section); those are dropped and one message per key kept.
 */
const describeIssues = (error: ParseResult.ParseError): string => {
  const byKey = new Map<string, string>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const key = issue.path.join(".") || "<root>"
    // The "or undefined" branch of an optional key (here or on its section) says nothing about the mistake.
    if (issue.message.startsWith("Expected undefined")) continue
    if (!byKey.has(key)) byKey.set(key, issue.message)
  }
  return Array.from(byKey, ([key, message]) => `${key}: ${message}`).join("; ")
}

export interface LoadedConfig {
  readonly config: NodeConfig
  readonly unknownKeys: ReadonlyArray<string>
}

/** Validates an already-parsed YAML document. */
export const fromDocument = (document: unknown, path = "config.yaml"): Either.Either<LoadedConfig, ConfigError> => {
  const input = document === null || document === undefined ? {} : document
  return Schema.decodeUnknownEither(NodeConfig, { errors: "all" })(input).pipe(
    Either.mapLeft((e) => new ConfigError({ reason: "Invalid", path, message: `${path}: ${describeIssues(e)}` })),
    Either.map((config) => ({ config, unknownKeys: unknownKeys(input, defaultConfig) }))
  )
}

/** Reads and validates `config.yaml`. */
export const load = (path: string): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (cause) => new ConfigError({ reason: "Read", path, message: `cannot read ${path}: ${(cause as Error).message}` })
    })
    const document = yield* Effect.try({
      try: () => YAML.parse(text) as unknown,
      catch: (cause) => new ConfigError({ reason: "Syntax", path, message: `${path}: ${(cause as Error).message.split("\n")[0]}` })
    })
    return yield* fromDocument(document, path)
  })

/** The default `config.yaml`, every key written out with a comment. */
export const renderDefault = (overrides: { readonly network?: string; readonly port?: number } = {}): string => {
  const c = defaultConfig
  const list = (items: ReadonlyArray<string>, indent: string) =>
    items.length === 0 ? " []" : "\n" + items.map((s) => `${indent}- ${s}`).join("\n")
  return `# peerwire node configuration. Every key is optional; the values below are the defaults.
# Validated at start: an invalid value stops the node with a message naming the key; unknown keys are reported.

# Network name sent in handshakes (the reference's selected_network): mainnet, testnet11, or a private name.
network: ${overrides.network ?? c.network}
# Interface and port the peer listener binds (wss://HOST:PORT/ws).
listen_host: ${c.listen_host}
port: ${overrides.port ?? c.port}
# Peers to connect to at start and keep connected (HOST:PORT; IPv6 as [addr]:port).
peers:${list(c.peers, "  ")}

discovery:
  # Find peers by DNS seeders, the introducer and peer exchange.
  enabled: ${c.discovery.enabled}
  # Outbound full-node connections to keep (at most one per IPv4 /16 or IPv6 /32).
  target_outbound_peers: ${c.discovery.target_outbound_peers}
  # Longest pause of the discovery loop between dial rounds, seconds.
  peer_connect_interval: ${c.discovery.peer_connect_interval}
  # Mean interval of feeler connections (test an address, then disconnect), seconds.
  feeler_interval: ${c.discovery.feeler_interval}
  dns_servers:${list(c.discovery.dns_servers, "    ")}
  # Introducer HOST:PORT, or null for none.
  introducer: ${c.discovery.introducer}
  # Accept private, loopback and link-local addresses in the address book (devnets).
  enable_private_networks: ${c.discovery.enable_private_networks}

inbound:
  # Inbound connections accepted per remote node type (timelords only from localhost; other types are refused).
  max_full_nodes: ${c.inbound.max_full_nodes}
  max_wallets: ${c.inbound.max_wallets}
  max_farmers: ${c.inbound.max_farmers}
  # All inbound connections together, handshakes in progress included; beyond this new ones get HTTP 503.
  max_connections: ${c.inbound.max_connections}

timeouts:
  # Inbound handshake and dial timeout, seconds.
  peer_connect_timeout: ${c.timeouts.peer_connect_timeout}
  outbound_handshake_timeout: ${c.timeouts.outbound_handshake_timeout}
  request_timeout: ${c.timeouts.request_timeout}
  # Outbound connections are pinged every ping_interval; no pong within pong_timeout drops them.
  ping_interval: ${c.timeouts.ping_interval}
  pong_timeout: ${c.timeouts.pong_timeout}
  # A connection with no message for this long is closed.
  idle_timeout: ${c.timeouts.idle_timeout}

rate_limits:
  # Percent of the reference's rate-limit table applied to what peers send us, and to what we send.
  inbound_percent: ${c.rate_limits.inbound_percent}
  outbound_percent: ${c.rate_limits.outbound_percent}
  # 2, or 3 to negotiate per-type request windows (capability 7).
  version: ${c.rate_limits.version}

bans:
  # CIDRs never banned (besides loopback when exempt_localhost is true).
  trusted_networks:${list(c.bans.trusted_networks, "    ")}
  exempt_localhost: ${c.bans.exempt_localhost}

introducer:
  # Introducer mode: peers per answer, and how long (seconds) a registered peer is served.
  max_peers_to_send: ${c.introducer.max_peers_to_send}
  recent_peer_threshold: ${c.introducer.recent_peer_threshold}

rpc:
  # Local HTTPS RPC (mutual TLS with the node's private CA).
  host: ${c.rpc.host}
  port: ${c.rpc.port}

logging:
  # trace, debug, info, warning, error, none
  level: ${c.logging.level}
  # text or json
  format: ${c.logging.format}
`
}
