/**
 * Keeps a persisted service's file current: writes every `interval` while the scope is open and once more when it
 * closes. A failed write is logged and tried again at the next interval; it never stops the node.
 */
import type { Duration, Scope } from "effect"
import { Effect } from "effect"

export const persistPeriodically = <E extends { readonly message: string }>(
  flush: Effect.Effect<void, E>,
  interval: Duration.DurationInput
): Effect.Effect<void, never, Scope.Scope> => {
  const flushLogged = flush.pipe(Effect.catchAll((e) => Effect.logWarning(e.message)))
  return Effect.zipRight(
    flushLogged.pipe(Effect.delay(interval), Effect.forever, Effect.forkScoped),
    Effect.addFinalizer(() => flushLogged)
  )
}
