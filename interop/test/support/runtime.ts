/** Runs Effects of the tests in one long-lived Scope with the real WebSocket transport (closed in afterAll). */
import { Effect, Exit, Scope } from "effect"
import { Transport } from "@peerwire/transport"
import * as WebSocketTransport from "@peerwire/transport/WebSocketTransport"

export interface TestRuntime {
  /** Runs `effect`; what it acquires lives until `close`. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Transport | Scope.Scope>) => Promise<A>
  readonly close: () => Promise<void>
}

export const makeRuntime = (): TestRuntime => {
  const scope = Effect.runSync(Scope.make())
  const transport = WebSocketTransport.make()
  return {
    run: (effect) =>
      Effect.runPromise(effect.pipe(Scope.extend(scope), Effect.provideService(Transport, transport))),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
