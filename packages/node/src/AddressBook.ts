/**
 * The `AddressBook` service: every address this node has heard of, in the reference's address-manager tables (new and
 * tried, keyed bucket hashing, selection weights, good / attempt / connected marks), persisted in the node's data directory
 * with atomic writes and restored at start.
 */
import type { Duration } from "effect"
import { Clock, Context, Data, Effect, Layer, Option, Random } from "effect"
import { randomBytes } from "node:crypto"
import { readFile, rename } from "node:fs/promises"
import type { AddressEntry } from "./internal/addrman/entry.js"
import { AddrMan, type TimestampedAddress } from "./internal/addrman/AddrMan.js"
import type { PeerAddress } from "./internal/addrman/peerAddress.js"
import { AddrRandom } from "./internal/addrman/random.js"
import { ADDRESS_BOOK_FILE_VERSION, type AddressBookFile, decodeAddressBookFile } from "./internal/addressBookFile.js"
import { writeFileAtomic } from "./internal/atomicFile.js"
import { persistPeriodically } from "./internal/persistence.js"

export type { AddressEntry, PeerAddress, TimestampedAddress }
export { group, groupKey, isPrivate } from "./internal/addrman/peerAddress.js"

export class AddressBookError extends Data.TaggedError("AddressBookError")<{
  readonly reason: "Read" | "Write"
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** A read-only view of an entry. */
export type AddressInfo = Readonly<AddressEntry>

export interface AddressBookShape {
  /** Adds addresses heard from `source` (undefined: DNS, introducer, configuration), timestamps lowered by `penaltySeconds`. */
  readonly add: (
    addresses: ReadonlyArray<TimestampedAddress>,
    source?: PeerAddress,
    penaltySeconds?: number
  ) => Effect.Effect<boolean>
  /** A successful outbound connection (moves the address to the tried table). */
  readonly markGood: (address: PeerAddress, testBeforeEvict?: boolean) => Effect.Effect<void>
  /** A connection attempt; `countFailure` false for attempts that failed for reasons not the peer's (duplicate, self). */
  readonly attempt: (address: PeerAddress, countFailure: boolean) => Effect.Effect<void>
  /** Traffic seen on a connection to this address. */
  readonly connected: (address: PeerAddress) => Effect.Effect<void>
  /** An address to dial (weighted random), optionally only from the new table (feelers). */
  readonly select: (newOnly?: boolean) => Effect.Effect<Option.Option<AddressInfo>>
  /** A tried-table entry that a pending collision would evict, to be tested by a feeler. */
  readonly selectCollision: Effect.Effect<Option.Option<AddressInfo>>
  readonly resolveCollisions: Effect.Effect<void>
  /** The sample to send in `respond_peers`. */
  readonly sample: Effect.Effect<ReadonlyArray<TimestampedAddress>>
  readonly cleanup: (maxAgeSeconds: number, maxFailures: number) => Effect.Effect<void>
  readonly size: Effect.Effect<number>
  readonly entries: Effect.Effect<ReadonlyArray<AddressInfo>>
  /** Writes the book to its file now (no-op without a file). */
  readonly flush: Effect.Effect<void, AddressBookError>
}

export class AddressBook extends Context.Tag("@peerwire/node/AddressBook")<AddressBook, AddressBookShape>() {}

export interface AddressBookOptions {
  /** File to persist to; undefined keeps the book in memory only. */
  readonly path?: string | undefined
  /** Accept private, loopback and link-local addresses (devnets, tests). Default false, like the reference. */
  readonly allowPrivate?: boolean | undefined
  /** Index by host and port rather than host only: for devnets of many nodes on one IP (see `DevnetAddressBook`). */
  readonly keyByEndpoint?: boolean | undefined
  /** How often the book is written while running. Default `DEFAULT_FLUSH_INTERVAL`. */
  readonly flushInterval?: Duration.DurationInput | undefined
}

/** The reference serialises every 15–30 minutes; we write every 15 minutes and on shutdown. */
export const DEFAULT_FLUSH_INTERVAL = "15 minutes" as const

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

const toFile = (book: AddrMan): AddressBookFile => ({
  version: ADDRESS_BOOK_FILE_VERSION,
  key: Buffer.from(book.key).toString("hex"),
  entries: book.entries().map((e) => ({
    address: { host: e.address.host, port: e.address.port },
    source: { host: e.source.host, port: e.source.port },
    timestamp: e.timestamp,
    lastTry: e.lastTry,
    lastSuccess: e.lastSuccess,
    attempts: e.attempts,
    tried: e.isTried
  }))
})

/** Reads the saved book; a missing file is an empty book; a corrupt one is moved aside (the book is a cache). */
const load = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (cause) => cause
    }).pipe(
      Effect.catchAll((cause) =>
        (cause as NodeJS.ErrnoException).code === "ENOENT"
          ? Effect.succeed(undefined)
          : Effect.fail(new AddressBookError({ reason: "Read", path, message: `cannot read ${path}: ${String(cause)}`, cause }))
      )
    )
    if (text === undefined) return Option.none<AddressBookFile>()
    const decoded = decodeAddressBookFile(text)
    if (decoded._tag === "Right") return Option.some(decoded.right)
    const aside = `${path}.corrupt-${Date.now()}`
    yield* Effect.logWarning(`address book ${path} is unreadable; moved to ${aside} and starting empty`)
    yield* Effect.promise(() => rename(path, aside).catch(() => undefined))
    return Option.none<AddressBookFile>()
  })

const save = (path: string, book: AddrMan) =>
  Effect.tryPromise({
    try: () => writeFileAtomic(path, JSON.stringify(toFile(book))),
    catch: (cause) => new AddressBookError({ reason: "Write", path, message: `cannot write ${path}: ${String(cause)}`, cause })
  })

/** Builds the service state (no persistence fibers): useful for tests and for custom compositions. */
export const make = (options: AddressBookOptions = {}) =>
  Effect.gen(function* () {
    const saved = options.path === undefined ? Option.none<AddressBookFile>() : yield* load(options.path)
    const seed = [yield* Random.nextInt, yield* Random.nextInt, yield* Random.nextInt, yield* Random.nextInt]
    const key = Option.match(saved, {
      onNone: () => Uint8Array.from(randomBytes(32)),
      onSome: (file) => Uint8Array.from(Buffer.from(file.key, "hex"))
    })
    const book = new AddrMan(key, new AddrRandom(seed), options.allowPrivate ?? false, options.keyByEndpoint ?? false)
    const start = yield* nowSeconds
    if (Option.isSome(saved)) {
      for (const e of saved.value.entries) {
        book.restore(
          {
            address: e.address,
            source: e.source,
            timestamp: e.timestamp,
            lastTry: e.lastTry,
            lastCountAttempt: 0,
            lastSuccess: e.lastSuccess,
            attempts: e.attempts,
            refCount: 0,
            isTried: e.tried,
            randomPos: -1
          },
          start
        )
      }
    }
    const withNow = <A>(f: (now: number) => A) => Effect.map(nowSeconds, f)
    const path = options.path
    const service: AddressBookShape = {
      add: (addresses, source, penalty = 0) =>
        withNow((now) => addresses.reduce((added, a) => book.add(a, source, penalty, now) || added, false)),
      markGood: (address, testBeforeEvict = true) => withNow((now) => book.markGood(address, testBeforeEvict, now)),
      attempt: (address, countFailure) => withNow((now) => book.attempt(address, countFailure, now)),
      connected: (address) => withNow((now) => book.connected(address, now)),
      select: (newOnly = false) => withNow((now) => Option.fromNullable(book.select(newOnly, now)).pipe(Option.map(snapshot))),
      selectCollision: Effect.sync(() => Option.fromNullable(book.selectCollision()).pipe(Option.map(snapshot))),
      resolveCollisions: withNow((now) => book.resolveCollisions(now)),
      sample: withNow((now) => book.sample(now)),
      cleanup: (maxAge, maxFailures) => withNow((now) => book.cleanup(maxAge, maxFailures, now)),
      size: Effect.sync(() => book.size),
      entries: Effect.sync(() => book.entries().map(snapshot)),
      flush: path === undefined ? Effect.void : save(path, book)
    }
    return service
  })

const snapshot = (e: AddressEntry): AddressInfo => ({ ...e, address: { ...e.address }, source: { ...e.source } })

/**
 * The service with persistence: restored at start, written every `flushInterval` and when the layer's scope closes.
 * A failing periodic write is logged and retried at the next interval; the final write's failure is logged.
 */
export const layer = (options: AddressBookOptions = {}): Layer.Layer<AddressBook, AddressBookError> =>
  Layer.scoped(
    AddressBook,
    Effect.gen(function* () {
      const service = yield* make(options)
      if (options.path !== undefined) {
        yield* persistPeriodically(service.flush, options.flushInterval ?? DEFAULT_FLUSH_INTERVAL)
      }
      return service
    })
  )
