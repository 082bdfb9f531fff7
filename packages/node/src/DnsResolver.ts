/**
 * The `DnsResolver` service: A and AAAA lookups of DNS seeders for discovery. The default uses `node:dns` with a timeout;
 * tests provide `fromRecords` so that nothing touches the network.
 */
import type { Duration } from "effect"
import { Context, Data, Effect, Layer } from "effect"
import { Resolver } from "node:dns/promises"

export class DnsError extends Data.TaggedError("DnsError")<{
  readonly reason: "NotFound" | "Timeout"
  readonly name: string
  readonly message: string
  readonly cause?: unknown
}> {}

export interface DnsResolverShape {
  /** IPv4 and IPv6 addresses of `name` (A then AAAA); fails when neither lookup yields anything. */
  readonly resolve: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
}

export class DnsResolver extends Context.Tag("@peerwire/node/DnsResolver")<DnsResolver, DnsResolverShape>() {}

/** The reference resolves seeders with `lifetime=30`. */
export const DEFAULT_DNS_TIMEOUT = "30 seconds" as const

export interface DnsResolverOptions {
  readonly timeout?: Duration.DurationInput | undefined
  /** DNS servers to ask (IP literals); default the system's. */
  readonly servers?: ReadonlyArray<string> | undefined
}

/** Resolves with `node:dns`. */
export const make = (options: DnsResolverOptions = {}): DnsResolverShape => ({
  resolve: (name) =>
    Effect.gen(function*() {
      const resolver = new Resolver({ tries: 1 })
      if (options.servers !== undefined) resolver.setServers([...options.servers])
      const lookup = (f: () => Promise<Array<string>>) =>
        Effect.tryPromise({ try: f, catch: (cause) => cause }).pipe(Effect.orElseSucceed((): Array<string> => []))
      const [v4, v6] = yield* Effect.all([lookup(() => resolver.resolve4(name)), lookup(() => resolver.resolve6(name))], {
        concurrency: 2
      }).pipe(
        Effect.timeoutFail({
          duration: options.timeout ?? DEFAULT_DNS_TIMEOUT,
          onTimeout: () => new DnsError({ reason: "Timeout", name, message: `no answer for ${name} in time` })
        }),
        Effect.onInterrupt(() => Effect.sync(() => resolver.cancel()))
      )
      const all = [...v4, ...v6]
      if (all.length === 0) return yield* new DnsError({ reason: "NotFound", name, message: `${name} has no A/AAAA records` })
      return all
    })
})

/** A resolver answering from a fixed table (tests, offline devnets). */
export const fromRecords = (records: Readonly<Record<string, ReadonlyArray<string>>>): DnsResolverShape => ({
  resolve: (name) => {
    const found = records[name]
    return found === undefined || found.length === 0
      ? Effect.fail(new DnsError({ reason: "NotFound", name, message: `${name} has no A/AAAA records` }))
      : Effect.succeed(found)
  }
})

export const layer = (options: DnsResolverOptions = {}): Layer.Layer<DnsResolver> =>
  Layer.sync(DnsResolver, () => make(options))

export const layerRecords = (records: Readonly<Record<string, ReadonlyArray<string>>>): Layer.Layer<DnsResolver> =>
  Layer.succeed(DnsResolver, fromRecords(records))
