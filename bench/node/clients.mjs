// Node benchmark client process: opens many connections to one server and keeps them idle.
//   chia: wss with its own Chia-CA-signed certificate per connection, then the Chia handshake as a wallet (our stack).
//   raw:  a plain `ws` WebSocket with the same TLS, no handshake.
import { Effect, Exit, Scope } from "effect"
import WebSocket from "ws"
import * as WebSocketTransport from "../../packages/transport/dist/WebSocketTransport.js"
import { Transport } from "../../packages/transport/dist/Transport.js"
import * as ChiaPeer from "../../packages/peer/dist/chia/ChiaPeer.js"
import { NodeType } from "../../packages/codec/dist/chia/MessageTypes.js"
import { rawClientTls, serve } from "../transport/common.mjs"

let scope
let sockets = []

const openChia = async ({ address, identities, caPem, network, concurrency }) => {
  scope = Effect.runSync(Scope.make())
  const began = performance.now()
  await Effect.runPromise(
    Effect.forEach(
      identities,
      (identity) =>
        ChiaPeer.connect(address, {
          networkId: network,
          nodeType: NodeType.WALLET,
          serverPort: 0,
          tls: { identity, verify: { _tag: "RequireCa", caPem: [caPem] } }
        }),
      { concurrency, discard: true }
    ).pipe(Effect.provideService(Transport, WebSocketTransport.make()), Scope.extend(scope))
  )
  return { ms: performance.now() - began }
}

const openRaw = async ({ address, identities, caPem, concurrency }) => {
  const began = performance.now()
  let next = 0
  const one = (identity) =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(`wss://${address.host}:${address.port}/ws`, {
        ...rawClientTls({ identity, verify: { caPem: [caPem] } }),
        perMessageDeflate: false
      })
      socket.once("open", () => {
        sockets.push(socket)
        resolve()
      })
      socket.once("error", reject)
    })
  const worker = async () => {
    while (next < identities.length) await one(identities[next++])
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { ms: performance.now() - began }
}

serve({
  open: async (args) => (args.impl === "chia" ? openChia(args) : openRaw(args)),
  close: async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    for (const socket of sockets) socket.terminate()
    sockets = []
    scope = undefined
    return true
  },
  exit: async () => {
    setImmediate(() => process.exit(0))
    return true
  }
})
