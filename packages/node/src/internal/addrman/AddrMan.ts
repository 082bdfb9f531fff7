/**
 * The address manager: a TypeScript rendering of Bitcoin Core's addrman as the reference Chia node uses it
 * (`chia/server/address_manager.py`). Addresses live in a "new" table (heard of) and a "tried" table (connected to once);
 * bucket and slot are keyed hashes over a secret 256-bit key, so a peer cannot choose where its addresses land, and one
 * source group can only fill a bounded number of buckets. Entries are indexed by host only, like the reference.
 *
 * Pure and synchronous: time comes in as arguments (seconds), randomness from a seeded PRNG. The `AddressBook` service
 * wraps it with the clock, persistence and a lock.
 */
import { createHash } from "node:crypto"
import * as K from "./constants.js"
import { type AddressEntry, newEntry } from "./entry.js"
import { addressKey, group, isPrivate, type PeerAddress, sameAddress } from "./peerAddress.js"
import { AddrRandom } from "./random.js"

/** An address as exchanged in `respond_peers`. */
export interface TimestampedAddress extends PeerAddress {
  readonly timestamp: number
}

const hash64 = (...parts: ReadonlyArray<Uint8Array>): bigint => {
  const h = createHash("sha256")
  for (const part of parts) h.update(part)
  return h.digest().readBigUInt64BE(0)
}

const EMPTY = -1

export class AddrMan {
  private idCount = 0
  private readonly byId = new Map<number, AddressEntry>()
  private readonly byHost = new Map<string, number>()
  private randomOrder: Array<number> = []
  private readonly newTable = new Int32Array(K.NEW_BUCKET_COUNT * K.BUCKET_SIZE).fill(EMPTY)
  private readonly triedTable = new Int32Array(K.TRIED_BUCKET_COUNT * K.BUCKET_SIZE).fill(EMPTY)
  private readonly usedNew = new Set<number>()
  private readonly usedTried = new Set<number>()
  private triedCollisions: Array<number> = []
  private lastGood = 1
  newCount = 0
  triedCount = 0

  constructor(
    readonly key: Uint8Array,
    private readonly random: AddrRandom,
    readonly allowPrivate = false,
    /**
     * Index entries by host *and port* instead of by host only (the reference's rule). Only for devnets where many nodes
     * share one IP; on public networks one IP must count once.
     */
    readonly keyByEndpoint = false
  ) {}

  /**
   * The network group used for bucket hashing. With `keyByEndpoint` the port is part of it: on a one-IP devnet every
   * address would otherwise share one group, hence one bucket and its 64 slots, and colliding entries would be dropped.
   */
  private groupOf(address: PeerAddress): Uint8Array {
    const base = group(address.host)
    return this.keyByEndpoint ? Uint8Array.of(...base, address.port >> 8, address.port & 0xff) : base
  }

  private indexKey(address: PeerAddress): string {
    return this.keyByEndpoint ? `${address.host}|${address.port}` : address.host
  }

  get size(): number {
    return this.randomOrder.length
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Bucket arithmetic

  triedBucket(entry: AddressEntry): number {
    const h1 = Number(hash64(this.key, addressKey(entry.address)) % BigInt(K.TRIED_BUCKETS_PER_GROUP))
    return Number(hash64(this.key, this.groupOf(entry.address), Uint8Array.of(h1)) % BigInt(K.TRIED_BUCKET_COUNT))
  }

  newBucket(entry: AddressEntry, source: PeerAddress = entry.source): number {
    const srcGroup = this.groupOf(source)
    const h1 = Number(hash64(this.key, this.groupOf(entry.address), srcGroup) % BigInt(K.NEW_BUCKETS_PER_SOURCE_GROUP))
    return Number(hash64(this.key, srcGroup, Uint8Array.of(h1)) % BigInt(K.NEW_BUCKET_COUNT))
  }

  slot(entry: AddressEntry, isNew: boolean, bucket: number): number {
    const tag = Uint8Array.of(isNew ? 0x4e : 0x4b, (bucket >> 16) & 0xff, (bucket >> 8) & 0xff, bucket & 0xff)
    return Number(hash64(this.key, tag, addressKey(entry.address)) % BigInt(K.BUCKET_SIZE))
  }

  private setNew(bucket: number, slot: number, id: number): void {
    const index = bucket * K.BUCKET_SIZE + slot
    this.newTable[index] = id
    if (id === EMPTY) this.usedNew.delete(index)
    else this.usedNew.add(index)
  }

  private setTried(bucket: number, slot: number, id: number): void {
    const index = bucket * K.BUCKET_SIZE + slot
    this.triedTable[index] = id
    if (id === EMPTY) this.usedTried.delete(index)
    else this.usedTried.add(index)
  }

  private newAt(bucket: number, slot: number): number {
    return this.newTable[bucket * K.BUCKET_SIZE + slot]!
  }

  private triedAt(bucket: number, slot: number): number {
    return this.triedTable[bucket * K.BUCKET_SIZE + slot]!
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Entry quality

  isTerrible(entry: AddressEntry, now: number): boolean {
    if (entry.lastTry > 0 && entry.lastTry >= now - 60) return false
    if (entry.timestamp > now + 10 * 60) return true
    if (entry.timestamp === 0 || now - entry.timestamp > K.HORIZON_DAYS * K.DAY) return true
    if (entry.lastSuccess === 0 && entry.attempts >= K.MAX_RETRIES) return true
    if (now - entry.lastSuccess > K.MIN_FAIL_DAYS * K.DAY && entry.attempts >= K.MAX_FAILURES) return true
    return false
  }

  selectionChance(entry: AddressEntry, now: number): number {
    let chance = 1
    if (Math.max(now - entry.lastTry, 0) < 10 * 60) chance *= 0.01
    return chance * Math.pow(0.66, Math.min(entry.attempts, 8))
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Internal bookkeeping

  find(address: PeerAddress): AddressEntry | undefined {
    const id = this.byHost.get(this.indexKey(address))
    return id === undefined ? undefined : this.byId.get(id)
  }

  private idOf(address: PeerAddress): number | undefined {
    return this.byHost.get(this.indexKey(address))
  }

  private create(address: TimestampedAddress, source: PeerAddress | undefined): [AddressEntry, number] {
    const id = ++this.idCount
    const entry = newEntry(address, address.timestamp, source)
    entry.randomPos = this.randomOrder.length
    this.byId.set(id, entry)
    this.byHost.set(this.indexKey(address), id)
    this.randomOrder.push(id)
    return [entry, id]
  }

  private swapRandom(i: number, j: number): void {
    if (i === j) return
    const a = this.randomOrder[i]!
    const b = this.randomOrder[j]!
    this.byId.get(a)!.randomPos = j
    this.byId.get(b)!.randomPos = i
    this.randomOrder[i] = b
    this.randomOrder[j] = a
  }

  private deleteNew(id: number): void {
    const entry = this.byId.get(id)
    if (entry === undefined) return
    this.swapRandom(entry.randomPos, this.randomOrder.length - 1)
    this.randomOrder.pop()
    this.byHost.delete(this.indexKey(entry.address))
    this.byId.delete(id)
    this.newCount--
  }

  private clearNew(bucket: number, slot: number): void {
    const id = this.newAt(bucket, slot)
    if (id === EMPTY) return
    const entry = this.byId.get(id)!
    entry.refCount--
    this.setNew(bucket, slot, EMPTY)
    if (entry.refCount === 0) this.deleteNew(id)
  }

  private makeTried(entry: AddressEntry, id: number): void {
    for (let bucket = 0; bucket < K.NEW_BUCKET_COUNT; bucket++) {
      const slot = this.slot(entry, true, bucket)
      if (this.newAt(bucket, slot) === id) {
        this.setNew(bucket, slot, EMPTY)
        entry.refCount--
      }
    }
    entry.refCount = 0
    this.newCount--
    const bucket = this.triedBucket(entry)
    const slot = this.slot(entry, false, bucket)
    const evictId = this.triedAt(bucket, slot)
    if (evictId !== EMPTY) {
      // The occupant goes back to the new table.
      const evicted = this.byId.get(evictId)!
      evicted.isTried = false
      this.setTried(bucket, slot, EMPTY)
      this.triedCount--
      const newBucket = this.newBucket(evicted)
      const newSlot = this.slot(evicted, true, newBucket)
      this.clearNew(newBucket, newSlot)
      evicted.refCount = 1
      this.setNew(newBucket, newSlot, evictId)
      this.newCount++
    }
    this.setTried(bucket, slot, id)
    this.triedCount++
    entry.isTried = true
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Operations

  /** Adds (or refreshes) an address heard from `source`, its timestamp lowered by `penalty` seconds. True if new. */
  add(address: TimestampedAddress, source: PeerAddress | undefined, penalty: number, now: number): boolean {
    if (!this.allowPrivate && isPrivate(address.host)) return false
    let entry = this.find(address)
    let id = this.idOf(address)
    let isUnique = false
    if (entry !== undefined && sameAddress(entry.address, address)) penalty = 0
    if (entry !== undefined && id !== undefined) {
      const currentlyOnline = now - address.timestamp < K.DAY
      const updateInterval = currentlyOnline ? 60 * 60 : K.DAY
      if (address.timestamp > 0 && (entry.timestamp > 0 || entry.timestamp < address.timestamp - updateInterval - penalty)) {
        entry.timestamp = Math.max(0, address.timestamp - penalty)
      }
      if (address.timestamp === 0 || (entry.timestamp > 0 && address.timestamp <= entry.timestamp)) return false
      if (entry.isTried) return false
      if (entry.refCount === K.NEW_BUCKETS_PER_ADDRESS) return false
      const factor = 1 << entry.refCount
      if (factor > 1 && this.random.below(factor) !== 0) return false
    } else {
      ;[entry, id] = this.create(address, source)
      entry.timestamp = Math.max(0, entry.timestamp - penalty)
      this.newCount++
      isUnique = true
    }
    const bucket = this.newBucket(entry, source ?? entry.source)
    const slot = this.slot(entry, true, bucket)
    const occupant = this.newAt(bucket, slot)
    if (occupant !== id) {
      let take = occupant === EMPTY
      if (!take) {
        const existing = this.byId.get(occupant)!
        take = this.isTerrible(existing, now) || (existing.refCount > 1 && entry.refCount === 0)
      }
      if (take) {
        this.clearNew(bucket, slot)
        entry.refCount++
        this.setNew(bucket, slot, id)
      } else if (entry.refCount === 0) {
        this.deleteNew(id)
      }
    }
    return isUnique
  }

  /** Records a successful connection: the address moves to the tried table (or queues a collision test). */
  markGood(address: PeerAddress, testBeforeEvict: boolean, now: number): void {
    this.lastGood = now
    const entry = this.find(address)
    const id = this.idOf(address)
    if (!this.allowPrivate && isPrivate(address.host)) return
    if (entry === undefined || id === undefined || !sameAddress(entry.address, address)) return
    entry.lastSuccess = now
    entry.lastTry = now
    entry.attempts = 0
    if (entry.isTried) return
    const start = this.random.below(K.NEW_BUCKET_COUNT)
    let found = -1
    for (let n = 0; n < K.NEW_BUCKET_COUNT; n++) {
      const bucket = (n + start) % K.NEW_BUCKET_COUNT
      if (this.newAt(bucket, this.slot(entry, true, bucket)) === id) {
        found = bucket
        break
      }
    }
    if (found === -1) return
    const triedBucket = this.triedBucket(entry)
    const triedSlot = this.slot(entry, false, triedBucket)
    if (testBeforeEvict && this.triedAt(triedBucket, triedSlot) !== EMPTY) {
      if (this.triedCollisions.length < K.TRIED_COLLISION_SIZE && !this.triedCollisions.includes(id)) {
        this.triedCollisions.push(id)
      }
    } else {
      this.makeTried(entry, id)
    }
  }

  /** Records a connection attempt; failures count at most once per successful connection anywhere. */
  attempt(address: PeerAddress, countFailure: boolean, now: number): void {
    const entry = this.find(address)
    if (entry === undefined || !sameAddress(entry.address, address)) return
    entry.lastTry = now
    if (countFailure && entry.lastCountAttempt < this.lastGood) {
      entry.lastCountAttempt = now
      entry.attempts++
    }
  }

  /** Records that we are connected: refreshes the timestamp when older than 20 minutes. */
  connected(address: PeerAddress, now: number): void {
    const entry = this.find(address)
    if (entry === undefined || !sameAddress(entry.address, address)) return
    if (now - entry.timestamp > 20 * 60) entry.timestamp = now
  }

  /** Picks an address to dial: 50/50 tried or new, weighted by `selectionChance`. */
  select(newOnly: boolean, now: number): AddressEntry | undefined {
    if (this.randomOrder.length === 0) return undefined
    if (newOnly && this.newCount === 0) return undefined
    const useTried = !newOnly && this.triedCount > 0 && (this.newCount === 0 || this.random.below(2) === 0)
    const table = useTried ? this.triedTable : this.newTable
    const used = useTried ? this.usedTried : this.usedNew
    const bucketCount = useTried ? K.TRIED_BUCKET_COUNT : K.NEW_BUCKET_COUNT
    const logBuckets = useTried ? K.LOG_TRIED_BUCKET_COUNT : K.LOG_NEW_BUCKET_COUNT
    if (used.size === 0) return undefined
    const sparse = used.size < Math.sqrt(bucketCount * K.BUCKET_SIZE)
    const positions = sparse ? Array.from(used) : []
    let chance = 1
    // Each failed draw raises the acceptance factor by 1.2, so this ends after a bounded number of draws.
    for (;;) {
      let index: number
      if (sparse) index = positions[this.random.below(positions.length)]!
      else {
        let bucket = this.random.below(bucketCount)
        let slot = this.random.below(K.BUCKET_SIZE)
        while (table[bucket * K.BUCKET_SIZE + slot] === EMPTY) {
          bucket = (bucket + this.random.bits(logBuckets)) % bucketCount
          slot = (slot + this.random.bits(K.LOG_BUCKET_SIZE)) % K.BUCKET_SIZE
        }
        index = bucket * K.BUCKET_SIZE + slot
      }
      const entry = this.byId.get(table[index]!)!
      if (this.random.bits(30) < chance * this.selectionChance(entry, now) * (1 << 30)) return entry
      chance *= 1.2
    }
  }

  /** Resolves queued tried-table collisions (test-before-evict). */
  resolveCollisions(now: number): void {
    for (const id of this.triedCollisions.slice()) {
      let resolved = false
      const entry = this.byId.get(id)
      if (entry === undefined) resolved = true
      else {
        const bucket = this.triedBucket(entry)
        const slot = this.slot(entry, false, bucket)
        const oldId = this.triedAt(bucket, slot)
        if (oldId !== EMPTY) {
          const old = this.byId.get(oldId)!
          if (now - old.lastSuccess < 4 * 60 * 60) resolved = true
          else if (now - old.lastTry < 4 * 60 * 60) {
            if (now - old.lastTry > 60) {
              this.markGood(entry.address, false, now)
              resolved = true
            }
          } else if (now - entry.lastSuccess > 40 * 60) {
            this.markGood(entry.address, false, now)
            resolved = true
          }
        } else {
          this.markGood(entry.address, false, now)
          resolved = true
        }
      }
      if (resolved) this.triedCollisions = this.triedCollisions.filter((c) => c !== id)
    }
  }

  /** The tried-table occupant that a queued collision would evict (a feeler tests it). */
  selectCollision(): AddressEntry | undefined {
    if (this.triedCollisions.length === 0) return undefined
    const id = this.triedCollisions[this.random.below(this.triedCollisions.length)]!
    const entry = this.byId.get(id)
    if (entry === undefined) {
      this.triedCollisions = this.triedCollisions.filter((c) => c !== id)
      return undefined
    }
    const bucket = this.triedBucket(entry)
    const occupant = this.triedAt(bucket, this.slot(entry, false, bucket))
    return occupant === EMPTY ? undefined : this.byId.get(occupant)
  }

  /** A random sample for `respond_peers`: at most min(1000, ⌈23 % of known⌉), no private, no terrible addresses. */
  sample(now: number): Array<TimestampedAddress> {
    const out: Array<TimestampedAddress> = []
    const total = this.randomOrder.length
    const wanted = Math.min(K.MAX_PEERS_SHARED, Math.ceil((K.PEERS_SHARED_PERCENT * total) / 100))
    for (let n = 0; n < total && out.length < wanted; n++) {
      this.swapRandom(n, n + this.random.below(total - n))
      const entry = this.byId.get(this.randomOrder[n]!)!
      if (!this.allowPrivate && isPrivate(entry.address.host)) continue
      if (!this.isTerrible(entry, now)) out.push({ ...entry.address, timestamp: entry.timestamp })
    }
    return out
  }

  /** Drops new-table entries older than `maxAge` seconds with at least `maxFailures` attempts. */
  cleanup(maxAge: number, maxFailures: number, now: number): void {
    for (const index of Array.from(this.usedNew)) {
      const id = this.newTable[index]!
      const entry = this.byId.get(id)
      if (entry !== undefined && entry.timestamp < now - maxAge && entry.attempts >= maxFailures) {
        this.clearNew(Math.floor(index / K.BUCKET_SIZE), index % K.BUCKET_SIZE)
      }
    }
  }

  /** Every entry (for persistence and inspection). */
  entries(): ReadonlyArray<AddressEntry> {
    return this.randomOrder.map((id) => this.byId.get(id)!)
  }

  /** Puts a persisted entry back: tried entries into their tried slot when free, everything else into the new table. */
  restore(saved: AddressEntry, now: number): void {
    if (this.find(saved.address) !== undefined) return
    if (saved.isTried) {
      const probe = newEntry(saved.address, saved.timestamp, saved.source)
      const bucket = this.triedBucket(probe)
      const slot = this.slot(probe, false, bucket)
      if (this.triedAt(bucket, slot) === EMPTY) {
        const [entry, id] = this.create({ ...saved.address, timestamp: saved.timestamp }, saved.source)
        Object.assign(entry, { lastTry: saved.lastTry, lastSuccess: saved.lastSuccess, attempts: saved.attempts, isTried: true })
        this.setTried(bucket, slot, id)
        this.triedCount++
        return
      }
    }
    this.add({ ...saved.address, timestamp: saved.timestamp }, saved.source, 0, now)
    const entry = this.find(saved.address)
    if (entry !== undefined) {
      entry.lastTry = saved.lastTry
      entry.lastSuccess = saved.lastSuccess
      entry.attempts = saved.attempts
    }
  }

  /** Consistency check used by the property tests: counts, indexes and table references agree. */
  checkInvariants(): ReadonlyArray<string> {
    const problems: Array<string> = []
    let tried = 0
    let fresh = 0
    for (const [id, entry] of this.byId) {
      if (this.byHost.get(this.indexKey(entry.address)) !== id) problems.push(`host index wrong for ${entry.address.host}`)
      if (this.randomOrder[entry.randomPos] !== id) problems.push(`random position wrong for ${entry.address.host}`)
      if (entry.isTried) tried++
      else fresh++
      if (!entry.isTried && entry.refCount <= 0) problems.push(`new entry ${entry.address.host} has no references`)
    }
    if (tried !== this.triedCount) problems.push(`tried count ${this.triedCount} != ${tried}`)
    if (fresh !== this.newCount) problems.push(`new count ${this.newCount} != ${fresh}`)
    if (this.randomOrder.length !== this.byId.size) problems.push("random order length differs from entries")
    const refs = new Map<number, number>()
    for (const index of this.usedNew) refs.set(this.newTable[index]!, (refs.get(this.newTable[index]!) ?? 0) + 1)
    for (const [id, count] of refs) {
      const entry = this.byId.get(id)
      if (entry === undefined) problems.push(`new table references missing id ${id}`)
      else if (entry.refCount !== count) problems.push(`ref count of ${entry.address.host} is ${entry.refCount}, table has ${count}`)
    }
    if (this.usedTried.size !== this.triedCount) problems.push("tried table occupancy differs from tried count")
    return problems
  }
}
