/**
 * One timer for every deadline of a peer (requests, handlers, the idle close). `Effect.timeout` forks a racing fiber
 * and arms a timer per call (about 45 µs each, a third of a round trip's CPU in measurements); here adding and
 * removing a deadline is a heap operation. The timer is one fiber sleeping (on the Effect Clock, so `TestClock`
 * drives it) until the earliest deadline: it exists only while there is a deadline, and is replaced when an earlier
 * one is added (rare: timeouts are mostly uniform).
 *
 * The deadlines are a binary min-heap in an array, each entry knowing its index, so removal is O(log n) and nothing
 * is allocated per operation (a Set reallocates its hash table as entries come and go). Requests do not put one entry
 * each here: their table arms a single check (`pendingRequests.ts`).
 */
import { Effect, FiberId } from "effect"
import type { Fiber } from "effect"

/** An entry of the heap: a deadline object holds its own position (`NOT_QUEUED` when it is in no heap). */
export interface Deadline {
  readonly at: number
  /** Position in the heap; managed by `Deadlines`. */
  heapIndex: number
  readonly expire: () => void
}

/** `heapIndex` of a deadline that is not queued (removed or expired). */
const NOT_QUEUED = -1

export interface Deadlines {
  /** Calls `expire` (synchronously, from the timer fiber) once the clock reaches `at`, unless removed first. */
  readonly add: (at: number, expire: () => void) => Deadline
  /** Disarms a deadline; a no-op for one that already expired or was removed. */
  readonly remove: (deadline: Deadline) => void
  /** Deadlines still armed (for tests and diagnostics). */
  readonly size: () => number
}

export const makeDeadlines = (
  now: () => number,
  /** Starts a fiber supervised by the peer. */
  fork: (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void>
): Deadlines => {
  const heap: Array<Deadline> = []
  let timer: Fiber.RuntimeFiber<void> | undefined
  let timerAt = Number.POSITIVE_INFINITY

  const place = (entry: Deadline, index: number): void => {
    heap[index] = entry
    entry.heapIndex = index
  }

  const siftUp = (entry: Deadline, from: number): void => {
    let index = from
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (parent.at <= entry.at) break
      place(parent, index)
      index = parentIndex
    }
    place(entry, index)
  }

  const siftDown = (entry: Deadline, from: number): void => {
    const size = heap.length
    let index = from
    for (;;) {
      const left = 2 * index + 1
      if (left >= size) break
      const right = left + 1
      const child = right < size && heap[right]!.at < heap[left]!.at ? right : left
      if (heap[child]!.at >= entry.at) break
      place(heap[child]!, index)
      index = child
    }
    place(entry, index)
  }

  const unlink = (entry: Deadline): void => {
    const index = entry.heapIndex
    entry.heapIndex = NOT_QUEUED
    const last = heap.pop()!
    if (last === entry) return
    // The last entry fills the hole, then moves whichever way restores the order.
    if (index > 0 && heap[(index - 1) >> 1]!.at > last.at) siftUp(last, index)
    else siftDown(last, index)
  }

  // Fires what is due; returns the earliest deadline left.
  const sweep = (): number => {
    const time = now()
    while (heap.length > 0) {
      const first = heap[0]!
      if (first.at > time) return first.at
      unlink(first)
      // May add or remove deadlines (the idle watch re-arms itself).
      first.expire()
    }
    return Number.POSITIVE_INFINITY
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
    heap.push(entry)
    siftUp(entry, heap.length - 1)
    if (entry.at < timerAt) arm(entry.at)
  }

  return {
    add: (at, expire) => {
      const entry: Deadline = { at, heapIndex: NOT_QUEUED, expire }
      insert(entry)
      return entry
    },
    remove: (entry) => {
      // The timer stays armed: when it fires early it finds nothing due and sleeps again for what is left.
      if (entry.heapIndex !== NOT_QUEUED) unlink(entry)
    },
    size: () => heap.length
  }
}
