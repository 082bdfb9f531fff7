/**
 * Typed notification streams: per message type, the live subscribers' mailboxes and the last few messages for replay.
 * Mailboxes (not a PubSub) because ending one still delivers what it holds, so a stream sees every message published
 * before the peer closed; a full mailbox back-pressures the dispatcher (and so the connection), never drops.
 */
import { Effect, Exit, Mailbox, Stream } from "effect"

export interface Notifications {
  /** Publishes synchronously when every mailbox has room (`undefined`); otherwise the Effect that waits for room. */
  readonly publishNow: (type: number, payload: unknown) => Effect.Effect<void> | undefined
  readonly subscribe: (type: number) => Stream.Stream<unknown>
  /** Ends every stream, present and future (after its replay). */
  readonly end: () => void
}

export const makeNotifications = (options: { readonly buffer: number; readonly replay: number }): Notifications => {
  const subscribers = new Map<number, Set<Mailbox.Mailbox<unknown>>>()
  const recent = new Map<number, Array<unknown>>()
  let ended = false

  const remember = (type: number, payload: unknown): void => {
    if (options.replay <= 0) return
    let list = recent.get(type)
    if (list === undefined) recent.set(type, (list = []))
    list.push(payload)
    if (list.length > options.replay) list.shift()
  }

  const publishNow = (type: number, payload: unknown): Effect.Effect<void> | undefined => {
    remember(type, payload)
    const set = subscribers.get(type)
    if (set === undefined || set.size === 0) return undefined
    // Room in every mailbox is the usual case: no suspension.
    let blocked: Array<Mailbox.Mailbox<unknown>> | undefined
    for (const mailbox of set) if (!mailbox.unsafeOffer(payload)) (blocked ??= []).push(mailbox)
    return blocked === undefined ? undefined : Effect.forEach(blocked, (m) => m.offer(payload), { discard: true })
  }

  return {
    publishNow,
    subscribe: (type) =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const mailbox = yield* Mailbox.make<unknown>({ capacity: options.buffer, strategy: "suspend" })
          for (const payload of recent.get(type) ?? []) mailbox.unsafeOffer(payload)
          if (ended) {
            mailbox.unsafeDone(Exit.void)
          } else {
            let set = subscribers.get(type)
            if (set === undefined) subscribers.set(type, (set = new Set()))
            set.add(mailbox)
            yield* Effect.addFinalizer(() =>
              Effect.sync(() => set.delete(mailbox)).pipe(Effect.zipRight(mailbox.shutdown))
            )
          }
          return Mailbox.toStream(mailbox)
        })
      ),
    end() {
      ended = true
      for (const set of subscribers.values()) for (const mailbox of set) mailbox.unsafeDone(Exit.void)
      subscribers.clear()
    }
  }
}
