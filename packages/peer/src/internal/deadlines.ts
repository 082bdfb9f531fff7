/**
 * One timer for every deadline of a peer (requests, handlers, the idle close). `Effect.timeout` forks a racing fiber
 * and arms a timer per call (about 45 µs each, a third of a round trip's CPU in measurements); here adding and
 * removing a deadline is a Set operation. The timer is one fiber sleeping (on the Effect Clock, so `TestClock` drives
 * it) until the earliest deadline: it exists only while there is a deadline, and is replaced when an earlier one is
 * added (rare: timeouts are mostly uniform).
 */
import { Effect, FiberId } from "effect"
import type { Fiber } from "effect"

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

export const makeDeadlines = (
  now: () => number,
  /** Starts a fiber supervised by the peer. */
  fork: (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void>
): Deadlines => {
  const entries = new Set<Deadline>()
  let timer: Fiber.RuntimeFiber<void> | undefined
  let timerAt = Number.POSITIVE_INFINITY

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

  const arm = (at: number): void => {
    if (timer !== undefined) timer.unsafeInterruptAsFork(FiberId.none)
    timer = undefined
    timerAt = at
    if (at === Number.POSITIVE_INFINITY) return
    timer = fork(Effect.sleep(Math.max(0, at - now())).pipe(Effect.zipRight(Effect.sync(fire))))
  }

  function fire(): void {
    timer = undefined
    timerAt = Number.POSITIVE_INFINITY
    const earliest = sweep()
    // An expiry may have added an earlier deadline (and armed for it) already.
    if (earliest < timerAt) arm(earliest)
  }

  const insert = (entry: Deadline): void => {
    entries.add(entry)
    if (entry.at < timerAt) arm(entry.at)
  }

  return {
    add: (at, expire) => {
      const entry = { at, expire }
      insert(entry)
      return entry
    },
    insert,
    remove: (entry) => {
      // The timer stays armed: when it fires early it finds nothing due and sleeps again for what is left.
      entries.delete(entry)
    }
  }
}
