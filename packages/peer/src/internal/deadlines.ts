/**
 * One timer fiber per peer for every request and handler deadline. `Effect.timeout` forks a racing fiber and arms a
 * timer per call (about 45 µs each, a third of a round trip's CPU in measurements); here adding and removing a
 * deadline is a Set operation and the fiber wakes only when the earliest deadline passes (or an earlier one is added).
 */
import { Deferred, Effect, Exit } from "effect"
import type { Scope } from "effect"

export interface Deadline {
  readonly at: number
  readonly expire: () => void
}

export interface Deadlines {
  /** Calls `expire` (synchronously, from the timer fiber) once the clock reaches `at`, unless removed first. */
  readonly add: (at: number, expire: () => void) => Deadline
  /** `add` for an object that is its own deadline (saves an allocation on hot paths). */
  readonly insert: (deadline: Deadline) => void
  readonly remove: (deadline: Deadline) => void
}

export const makeDeadlines = (now: () => number): Effect.Effect<Deadlines, never, Scope.Scope> =>
  Effect.gen(function*() {
    const entries = new Set<Deadline>()
    let wakeAt = Number.POSITIVE_INFINITY
    let wake: Deferred.Deferred<void> | undefined

    // Fires what is due; returns the earliest deadline left.
    const sweep = (): number => {
      const time = now()
      let earliest = Number.POSITIVE_INFINITY
      for (const entry of entries) {
        if (entry.at <= time) {
          entries.delete(entry)
          entry.expire()
        } else if (entry.at < earliest) earliest = entry.at
      }
      return earliest
    }

    const loop: Effect.Effect<never> = Effect.gen(function*() {
      while (true) {
        const signal = yield* Deferred.make<void>()
        wakeAt = sweep()
        wake = signal
        if (wakeAt === Number.POSITIVE_INFINITY) yield* Deferred.await(signal)
        else yield* Effect.raceFirst(Effect.sleep(Math.max(0, wakeAt - now())), Deferred.await(signal))
      }
    })
    yield* Effect.forkScoped(loop)

    const insert = (entry: Deadline): void => {
      entries.add(entry)
      // Re-arm only when this deadline is earlier than the one the timer sleeps for (rare: uniform timeouts).
      if (entry.at < wakeAt && wake !== undefined) {
        wakeAt = entry.at
        Deferred.unsafeDone(wake, Exit.void)
      }
    }

    return {
      add: (at, expire) => {
        const entry = { at, expire }
        insert(entry)
        return entry
      },
      insert,
      remove: (entry) => {
        entries.delete(entry)
      }
    }
  })
