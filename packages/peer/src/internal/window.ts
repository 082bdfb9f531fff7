/**
 * A concurrent-request window (Chia v3 outbound): at most `size` requests of one type in flight. Taking a free slot is
 * synchronous; only a full window makes the caller wait, in FIFO order, with the caller's own deadline.
 */
import { Deferred, Effect, Exit, FiberId } from "effect"

export interface Window {
  /** Takes a slot, waiting at most `timeoutMillis`; fails with `onTimeout()` when none frees up in time. */
  readonly take: <E>(timeoutMillis: number, onTimeout: () => E) => Effect.Effect<void, E>
  readonly release: () => void
}

export const makeWindow = (size: number): Window => {
  let used = 0
  const waiters: Array<Deferred.Deferred<void>> = []
  const release = (): void => {
    const next = waiters.shift()
    // Hand the slot straight to the first waiter, so it cannot be overtaken.
    if (next === undefined) used--
    else Deferred.unsafeDone(next, Exit.void)
  }
  return {
    release,
    take: (timeoutMillis, onTimeout) =>
      Effect.suspend(() => {
        if (used < size) {
          used++
          return Effect.void
        }
        const waiter = Deferred.unsafeMake<void>(FiberId.none)
        waiters.push(waiter)
        return Deferred.await(waiter).pipe(
          Effect.timeoutFail({ duration: timeoutMillis, onTimeout }),
          Effect.onExit((exit) =>
            Effect.sync(() => {
              if (Exit.isSuccess(exit)) return
              const index = waiters.indexOf(waiter)
              if (index >= 0) waiters.splice(index, 1)
              // Granted just as we gave up: pass the slot on.
              else release()
            })
          )
        )
      })
  }
}
