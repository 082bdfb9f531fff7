/**
 * A byte-for-byte TCP forwarder on 127.0.0.1 that connects onward *from a chosen loopback source address*.
 *
 * The reference exempts exactly 127.0.0.1 (and ::1, "localhost") from bans, rate limits and the inbound handshake
 * timeout. Our transport's `dial` has no local-address option, so to be seen as a remote peer we dial this forwarder,
 * which opens the onward connection from 127.0.0.2. TLS and WebSocket run end to end through it untouched (no SNI or
 * hostname checks on either side), so what the reference sees is exactly our stack's bytes.
 */
import * as net from "node:net"

export interface SourceProxy {
  /** Dial this instead of the target. */
  readonly port: number
  /** Connections forwarded so far (each onward connection's local port, as the target sees it). */
  readonly forwarded: ReadonlyArray<{ readonly sourcePort: number }>
  readonly close: () => Promise<void>
}

export const startSourceProxy = (target: { host: string; port: number }, source: string): Promise<SourceProxy> =>
  new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>()
    const forwarded: Array<{ sourcePort: number }> = []
    const server = net.createServer((inbound) => {
      const outbound = net.connect({ host: target.host, port: target.port, localAddress: source })
      sockets.add(inbound).add(outbound)
      outbound.once("connect", () => forwarded.push({ sourcePort: outbound.localPort ?? 0 }))
      inbound.pipe(outbound)
      outbound.pipe(inbound)
      // Any end of either side ends both (a reset is passed on as a reset).
      const finish = (error?: Error) => {
        for (const s of [inbound, outbound]) {
          sockets.delete(s)
          if (error !== undefined) s.resetAndDestroy()
          else s.end()
        }
      }
      inbound.once("error", finish).once("close", () => finish())
      outbound.once("error", finish).once("close", () => finish())
    })
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo
      resolve({
        port: address.port,
        forwarded,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          })
      })
    })
  })
