/**
 * The `FullNodeApi` service: the handlers a node answers its peers with. Every request a full node receives gets the
 * reference's answer — from the `Chain` when it has the data, otherwise the reference's reply for data it lacks
 * (`reject_block`, `reject_blocks`, `reject_header_request`, empty subscription responses, `transaction_ack` FAILED, …);
 * `request_peers` is answered from the `AddressBook`. The layer installs the handlers on every connection through a
 * `PeerManager` hook. Replace it to answer differently, or extend `handlers` with your own.
 */
import type { Scope } from "effect"
import { Context, Effect, Layer } from "effect"
import { AddressBook } from "./AddressBook.js"
import { Chain } from "./Chain.js"
import { fullNodeHandlers, MAX_BLOCK_COUNT_PER_REQUESTS, REJECT_STATE_REORG } from "./internal/fullNodeApi/handlers.js"
import { type NodeHandlers, PeerManager } from "./PeerManager.js"

export { MAX_BLOCK_COUNT_PER_REQUESTS, REJECT_STATE_REORG }

export interface FullNodeApiShape {
  readonly handlers: NodeHandlers
}

export class FullNodeApi extends Context.Tag("@peerwire/node/FullNodeApi")<FullNodeApi, FullNodeApiShape>() {}

/** The default handlers over the `Chain` and `AddressBook` in context, with `overrides` on top. */
export const make = (overrides: NodeHandlers = {}): Effect.Effect<FullNodeApiShape, never, Chain | AddressBook> =>
  Effect.gen(function*() {
    const chain = yield* Chain
    const book = yield* AddressBook
    return { handlers: { ...fullNodeHandlers(chain, book), ...overrides } }
  })

/** Installs `api`'s handlers on every connection of the `PeerManager` for as long as the Scope lasts. */
export const install = (api: FullNodeApiShape): Effect.Effect<void, never, PeerManager | Scope.Scope> =>
  Effect.flatMap(PeerManager, (manager) => manager.addHook({ name: "FullNodeApi", handlers: api.handlers }))

/** The service, installed into the `PeerManager`. */
export const layer = (
  overrides: NodeHandlers = {}
): Layer.Layer<FullNodeApi, never, Chain | AddressBook | PeerManager> =>
  Layer.scoped(
    FullNodeApi,
    Effect.gen(function*() {
      const api = yield* make(overrides)
      yield* install(api)
      return api
    })
  )
