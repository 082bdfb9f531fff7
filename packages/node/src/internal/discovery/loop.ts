/**
 * The outbound loop (`FullNodeDiscovery._connect_to_peers`): bootstrap from DNS seeders and the introducer when the book is
 * empty or selection keeps failing, then one dial per iteration toward the target (one per network group, recently tried
 * addresses skipped), and once the target is met, feelers on a Poisson schedule from the new table.
 */
import { Clock, Duration, Effect, FiberSet, Option, Random } from "effect"
import { NodeType } from "@peerwire/codec/chia/MessageTypes"
import { type AddressBookShape, groupKey, type PeerAddress } from "../../AddressBook.js"
import { type DiscoverySettings, INTRODUCER_PAUSE, MAX_BOOTSTRAP_BACKOFF_SECONDS } from "../../Discovery.js"
import type { ConnectedPeer, ConnectError, PeerManagerShape } from "../../PeerManager.js"
import type { MutableStats } from "./service.js"

/** The backoff doubles while below this, so it ends at `MAX_BOOTSTRAP_BACKOFF_SECONDS`. */
const BACKOFF_DOUBLING_LIMIT = 300
/** Extra pause of an iteration that started nothing. */
const IDLE_PAUSE_SECONDS = 15

export interface LoopDeps {
  readonly settings: DiscoverySettings
  readonly manager: PeerManagerShape
  readonly book: AddressBookShape
  readonly stats: MutableStats
  readonly queryIntroducer: Effect.Effect<number>
  readonly queryDns: (name: string) => Effect.Effect<number>
}

/** Outbound full-node connections that count toward the target. */
export const isOutboundFullNode = (peer: ConnectedPeer): boolean =>
  peer.direction === "outbound" && peer.nodeType === NodeType.FULL_NODE &&
  (peer.purpose === "outbound" || peer.purpose === "configured" || peer.purpose === "manual")

/** `max_tries`: 10 with fewer than 3 groups, 25 up to 5, else 50. */
export const selectionTries = (groups: number): number => (groups < 3 ? 10 : groups <= 5 ? 25 : 50)

const shuffle = <A>(items: ReadonlyArray<A>): Effect.Effect<Array<A>> =>
  Effect.gen(function*() {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = yield* Random.nextIntBetween(0, i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  })

export const runLoop = (deps: LoopDeps) =>
  Effect.gen(function*() {
    const { book, manager, settings, stats } = deps
    const dials = yield* FiberSet.make<void, never>()
    const pendingHosts = new Set<string>()
    const pendingGroups = new Map<string, number>()
    const dnsServers = yield* shuffle(settings.dnsServers)
    const hasIntroducer = settings.introducer !== undefined
    const feelerMeanMillis = settings.feelerInterval === false ? undefined : Duration.toMillis(settings.feelerInterval)
    const recentSeconds = Duration.toSeconds(settings.recentTryWindow)
    const maxInterval = Duration.toSeconds(settings.peerConnectInterval)
    let dnsIndex = 0
    let dnsTurn = dnsServers.length > 0
    let backoff = 1
    let retryBootstrap = false

    /** Exponential inter-arrival times: a Poisson process with the configured mean. */
    const nextFeelerDelay = Effect.map(Random.next, (u) => -Math.log(1 - u) * (feelerMeanMillis ?? 0))
    let nextFeelerAt = (yield* Clock.currentTimeMillis) + (yield* nextFeelerDelay)

    const bookkeeping = (address: PeerAddress, error: ConnectError) =>
      error.reason === "NotRunning"
        ? Effect.void
        : book.attempt(address, error.reason === "Failed")

    const dial = (address: PeerAddress, feeler: boolean) => {
      const group = groupKey(address.host)
      pendingHosts.add(address.host)
      if (!feeler) pendingGroups.set(group, (pendingGroups.get(group) ?? 0) + 1)
      return manager.connect(address, feeler ? "feeler" : "outbound").pipe(
        Effect.matchEffect({
          onFailure: (error) => bookkeeping(address, error),
          onSuccess: () =>
            Effect.zipRight(book.markGood(address), Effect.sync(() => {
              if (!feeler) backoff = 1
            }))
        }),
        Effect.ensuring(Effect.sync(() => {
          pendingHosts.delete(address.host)
          if (feeler) return
          const left = (pendingGroups.get(group) ?? 1) - 1
          if (left <= 0) pendingGroups.delete(group)
          else pendingGroups.set(group, left)
        }))
      )
    }

    const bootstrap = Effect.gen(function*() {
      yield* Effect.sleep(Duration.seconds(backoff))
      if (backoff < BACKOFF_DOUBLING_LIMIT) backoff = Math.min(backoff * 2, MAX_BOOTSTRAP_BACKOFF_SECONDS)
      if (dnsTurn && dnsServers.length > 0) {
        yield* deps.queryDns(dnsServers[dnsIndex % dnsServers.length]!)
        dnsIndex++
      } else if (hasIntroducer) {
        yield* deps.queryIntroducer
        yield* Effect.sleep(INTRODUCER_PAUSE)
      }
      if (dnsServers.length > 0 && hasIntroducer) dnsTurn = !dnsTurn
      retryBootstrap = false
    })

    const feeler = Effect.gen(function*() {
      const collision = yield* book.selectCollision
      const pick = Option.isSome(collision) ? collision : yield* book.select(true)
      if (Option.isNone(pick)) return false
      const address = pick.value.address
      if (pendingHosts.has(address.host) || (yield* manager.isConnectedTo(address))) return false
      stats.feelers++
      yield* FiberSet.run(dials, dial(address, true))
      return true
    })

    const outbound = (groups: ReadonlySet<string>, now: number) =>
      Effect.gen(function*() {
        for (let i = 0; i < selectionTries(groups.size); i++) {
          const pick = yield* book.select(false)
          if (Option.isNone(pick)) break
          const { address, lastTry } = pick.value
          if (pendingHosts.has(address.host)) continue
          if (settings.groupRule && groups.has(groupKey(address.host))) continue
          if (lastTry > 0 && now - lastTry < recentSeconds) continue
          if (yield* manager.isConnectedTo(address)) continue
          stats.dials++
          yield* FiberSet.run(dials, dial(address, false))
          return true
        }
        return false
      })

    while (true) {
      if ((yield* book.size) === 0 || retryBootstrap) yield* bootstrap
      yield* book.resolveCollisions
      const connected = (yield* manager.peers).filter(isOutboundFullNode)
      const groups = new Set(connected.map((p) => groupKey(p.host)))
      for (const group of pendingGroups.keys()) groups.add(group)
      let pending = 0
      for (const n of pendingGroups.values()) pending += n
      const nowMillis = yield* Clock.currentTimeMillis
      let initiated = false
      if (connected.length + pending >= settings.targetOutbound) {
        if (feelerMeanMillis !== undefined && nowMillis >= nextFeelerAt) {
          nextFeelerAt = nowMillis + (yield* nextFeelerDelay)
          initiated = yield* feeler
        }
      } else if (pendingHosts.size < settings.maxConcurrentDials) {
        initiated = yield* outbound(groups, Math.floor(nowMillis / 1000))
        if (!initiated) retryBootstrap = true
      }
      const pause = Math.min(Math.max(0.25, groups.size * 0.5) + (initiated ? 0 : IDLE_PAUSE_SECONDS), maxInterval)
      yield* Effect.sleep(Duration.millis(Math.round(pause * 1000)))
    }
  })
