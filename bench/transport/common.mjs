// Shared by the transport benchmark's processes: wire control frames, IPC request/response, TLS options.
import { Effect } from "effect"

/** First frame of a benchmark connection: [mode u8][count u32 BE]. */
export const MODE_SINK = 1
export const MODE_ECHO = 2
export const ACK = new Uint8Array([0xac])
export const HIGH_WATER_MARK = 4 * 1024 * 1024
export const MAX_FRAME_SIZE = 50 * 1024 * 1024

export const controlFrame = (mode, count) => {
  const frame = new Uint8Array(5)
  frame[0] = mode
  new DataView(frame.buffer).setUint32(1, count)
  return frame
}

export const readControl = (frame) => ({
  mode: frame[0],
  count: new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1)
})

/** Child side: answers `{ id, cmd, ... }` requests from the parent with `{ id, ...result }`. */
export const serve = (handlers) => {
  process.on("message", async (message) => {
    try {
      const result = await handlers[message.cmd](message)
      process.send({ id: message.id, ok: true, result })
    } catch (error) {
      process.send({ id: message.id, ok: false, error: String(error?.stack ?? error) })
    }
  })
}

/** Parent side: a typed-ish request function over a forked child. */
export const client = (child) => {
  let next = 0
  const pending = new Map()
  child.on("message", (message) => {
    const entry = pending.get(message.id)
    if (entry === undefined) return
    pending.delete(message.id)
    if (message.ok) entry.resolve(message.result)
    else entry.reject(new Error(message.error))
  })
  child.on("exit", (code) => {
    for (const entry of pending.values()) entry.reject(new Error(`child exited with ${code}`))
    pending.clear()
  })
  return (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next
      pending.set(id, { resolve, reject })
      child.send({ id, cmd, ...args })
    })
}

/** Raw `ws`/`https` options with the same mutual TLS as the transport's `RequireCa` settings. */
export const rawServerTls = (tls) => ({
  cert: tls.identity.certificatePem,
  key: tls.identity.privateKeyPem,
  ca: tls.verify.caPem,
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: "TLSv1.3"
})

export const rawClientTls = (tls) => ({
  cert: tls.identity.certificatePem,
  key: tls.identity.privateKeyPem,
  ca: tls.verify.caPem,
  rejectUnauthorized: true,
  checkServerIdentity: () => undefined
})

export const memory = () => {
  globalThis.gc?.()
  globalThis.gc?.()
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external }
}

/**
 * Sends `frame` from inside a push consumer's `onFrame` and returns what `onFrame` should answer: `unsafeOffer` when
 * the socket takes it now (true), else `send` in a fiber with delivery paused until it is done (false).
 * `delivery()` gives the consumer's `FrameDelivery` (assigned once `deliverTo` has returned).
 */
export const offerOrSend = (connection, frame, delivery) => {
  if (connection.unsafeOffer(frame)) return true
  Effect.runFork(Effect.ensuring(Effect.ignore(connection.send(frame)), Effect.sync(() => delivery().resume())))
  return false
}
