/**
 * An `AddressBook` for devnets where many nodes share one IP (all on 127.0.0.1, distinct ports). The reference's address
 * manager, and so the default `AddressBook`, indexes entries by IP only: one IP holds one port, and such a devnet could
 * know a single peer. This book keeps one entry per IPv4 address *and port* by storing each as a synthetic IPv6 key
 * (`fd00:0:HI:LO:PORT:0:0:1`, reversed on the way out); IPv6 addresses pass through unchanged.
 *
 * Use it with `allowPrivate` and Discovery's `groupRule: false` (every key falls in one group anyway). Not for public
 * networks: bucketing by group then no longer protects against one source flooding the book.
 */
import { Effect, Layer, Option } from "effect"
import { isIP } from "node:net"
import * as AddressBook from "./AddressBook.js"

const PREFIX = "fd00:0:"

/** `a.b.c.d` + port → `fd00:0:HI:LO:PORT:0:0:1`. */
export const toKey = <A extends AddressBook.PeerAddress>(address: A): A => {
  if (isIP(address.host) !== 4) return address
  const [a, b, c, d] = address.host.split(".").map(Number) as [number, number, number, number]
  const hex = (n: number) => n.toString(16)
  return { ...address, host: `${PREFIX}${hex((a << 8) | b)}:${hex((c << 8) | d)}:${hex(address.port)}:0:0:1` }
}

/** The inverse of `toKey`; other hosts unchanged. */
export const fromKey = <A extends AddressBook.PeerAddress>(address: A): A => {
  if (!address.host.startsWith(PREFIX)) return address
  const groups = address.host.split(":")
  const hi = parseInt(groups[2] ?? "0", 16)
  const lo = parseInt(groups[3] ?? "0", 16)
  return { ...address, host: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}` }
}

const entryOut = (e: AddressBook.AddressInfo): AddressBook.AddressInfo => ({
  ...e,
  address: fromKey(e.address),
  source: fromKey(e.source)
})

/** Wraps a book so that it is keyed by IPv4 address and port. */
export const wrap = (inner: AddressBook.AddressBookShape): AddressBook.AddressBookShape => ({
  add: (addresses, source, penalty) =>
    inner.add(addresses.map(toKey), source === undefined ? undefined : toKey(source), penalty),
  markGood: (address, testBeforeEvict) => inner.markGood(toKey(address), testBeforeEvict),
  attempt: (address, countFailure) => inner.attempt(toKey(address), countFailure),
  connected: (address) => inner.connected(toKey(address)),
  select: (newOnly) => Effect.map(inner.select(newOnly), Option.map(entryOut)),
  selectCollision: Effect.map(inner.selectCollision, Option.map(entryOut)),
  resolveCollisions: inner.resolveCollisions,
  sample: Effect.map(inner.sample, (list) => list.map(fromKey)),
  cleanup: inner.cleanup,
  size: inner.size,
  entries: Effect.map(inner.entries, (list) => list.map(entryOut)),
  flush: inner.flush
})

/** The devnet book, persisted like the default one (`allowPrivate` forced on). */
export const layer = (
  options: AddressBook.AddressBookOptions = {}
): Layer.Layer<AddressBook.AddressBook, AddressBook.AddressBookError> =>
  Layer.effect(AddressBook.AddressBook, Effect.map(AddressBook.AddressBook, wrap)).pipe(
    Layer.provide(AddressBook.layer({ ...options, allowPrivate: true }))
  )
