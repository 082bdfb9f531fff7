/**
 * Our requests waiting for their reply, by id. A request is a plain entry completed from wherever its outcome is
 * known (the frame that answers it, its deadline, the peer's end) and awaited through `Effect.async` without a
 * canceler (see `wait`): no Deferred (whose construction copies a large prototype) and no finalizer per request.
 *
 * An awaiting fiber that is interrupted leaves its entry in place: the id stays reserved until the reply or the
 * deadline comes, so a late reply is still recognised, and completing the entry then is a no-op.
 */
import { Effect, type Exit } from "effect"
import type { PeerError } from "../PeerError.js"
import type { Deadline, Deadlines } from "./deadlines.js"
import type { Reply } from "./replies.js"
import type { RequestIds } from "./requestIds.js"

/** A request waiting for its reply; it is also its own deadline entry. */
export class PendingRequest implements Deadline {
  private result: Exit.Exit<Reply, PeerError> | undefined = undefined
  private resume: ((exit: Exit.Exit<Reply, PeerError>) => void) | undefined = undefined
  /** Whether the deadline is armed. */
  armed = false

  constructor(
    readonly id: number,
    readonly type: number,
    readonly name: string,
    readonly timeoutMillis: number,
    /** The deadline (clock millis). */
    readonly at: number,
    private readonly onDeadline: (entry: PendingRequest) => void
  ) {}

  expire(): void {
    this.armed = false
    this.onDeadline(this)
  }

  /** The outcome, once; later ones are ignored. */
  complete(exit: Exit.Exit<Reply, PeerError>): void {
    if (this.result !== undefined) return
    this.result = exit
    const resume = this.resume
    this.resume = undefined
    resume?.(exit)
  }

  /** Hands the outcome to `resume` once it is known (at once when it already is). One waiter. */
  wait(resume: (exit: Exit.Exit<Reply, PeerError>) => void): void {
    if (this.result !== undefined) resume(this.result)
    else this.resume = resume
  }

  /** `wait` as an Effect, for the paths that cannot call it from their own `Effect.async`. */
  get await(): Effect.Effect<Reply, PeerError> {
    return Effect.async<Reply, PeerError>((resume) => this.wait(resume))
  }
}

export interface PendingRequests {
  /** A new entry under a free id with its deadline armed; `undefined` when every id of our range is busy. */
  readonly open: (type: number, name: string, timeoutMillis: number, deadline: number) => PendingRequest | undefined
  /** Takes the entry `id` answers, if any: it is no longer pending and its deadline is disarmed. */
  readonly take: (id: number) => PendingRequest | undefined
  /** Ends the entry without a reply (its send failed): the id is free again at once. */
  readonly abandon: (entry: PendingRequest) => void
  /**
   * Ends the entry at its deadline: the id stays reserved for `lateMillis` so that a late reply is recognised and
   * dropped rather than taken for the answer to a new request.
   */
  readonly expire: (entry: PendingRequest, lateMillis: number) => void
  /** `true` once for a late reply to an expired request (and the reservation is released). */
  readonly isLate: (id: number) => boolean
  /** Every pending entry, removed (the peer is ending). */
  readonly drain: () => ReadonlyArray<PendingRequest>
}

export const makePendingRequests = (
  ids: RequestIds,
  deadlines: Deadlines,
  now: () => number,
  /** Called when a request's deadline passes (it is still pending). */
  onDeadline: (entry: PendingRequest) => void
): PendingRequests => {
  const pending = new Map<number, PendingRequest>()
  // Expired ids → until when they stay reserved.
  const expired = new Map<number, number>()

  const isBusy = (id: number): boolean => {
    if (pending.has(id)) return true
    if (expired.size === 0) return false
    const until = expired.get(id)
    if (until === undefined) return false
    if (until > now()) return true
    expired.delete(id)
    return false
  }

  const disarm = (entry: PendingRequest): void => {
    if (!entry.armed) return
    entry.armed = false
    deadlines.remove(entry)
  }

  return {
    open: (type, name, timeoutMillis, deadline) => {
      const id = ids.allocate(isBusy)
      if (id === undefined) return undefined
      const entry = new PendingRequest(id, type, name, timeoutMillis, deadline, onDeadline)
      pending.set(id, entry)
      entry.armed = true
      deadlines.insert(entry)
      return entry
    },
    take: (id) => {
      const entry = pending.get(id)
      if (entry === undefined) return undefined
      pending.delete(id)
      disarm(entry)
      return entry
    },
    abandon: (entry) => {
      if (pending.get(entry.id) === entry) pending.delete(entry.id)
      disarm(entry)
    },
    expire: (entry, lateMillis) => {
      if (pending.get(entry.id) !== entry) return
      pending.delete(entry.id)
      disarm(entry)
      expired.set(entry.id, now() + lateMillis)
    },
    isLate: (id) => {
      const until = expired.get(id)
      if (until === undefined) return false
      expired.delete(id)
      return until > now()
    },
    drain: () => {
      const entries = Array.from(pending.values())
      pending.clear()
      for (const entry of entries) disarm(entry)
      return entries
    }
  }
}
