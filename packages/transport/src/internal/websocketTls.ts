/** TLS options for both ends of a wss connection, and the peer identity read from a TLS socket. */
import { createHash } from "node:crypto"
import type { ConnectionOptions, TLSSocket, TlsOptions } from "node:tls"
import { Option } from "effect"
import type { TlsSettings } from "../Transport.js"

/** Listener side: TLS 1.3 only (as the reference node), and a client certificate is always requested. */
export const serverTlsOptions = (settings: TlsSettings, handshakeTimeoutMs: number): TlsOptions => ({
  cert: settings.identity.certificatePem,
  key: settings.identity.privateKeyPem,
  minVersion: "TLSv1.3",
  requestCert: true,
  handshakeTimeout: handshakeTimeoutMs,
  // `AcceptAny` still needs a certificate: the listener drops clients that present none (see `hasPeerCertificate`).
  ...(settings.verify._tag === "RequireCa"
    ? { ca: [...settings.verify.caPem], rejectUnauthorized: true }
    : { rejectUnauthorized: false })
})

/** Dialer side: presents its certificate; hostnames are never checked, peers are identified by certificate hash. */
export const clientTlsOptions = (settings: TlsSettings): ConnectionOptions => ({
  cert: settings.identity.certificatePem,
  key: settings.identity.privateKeyPem,
  checkServerIdentity: () => undefined,
  ...(settings.verify._tag === "RequireCa"
    ? { ca: [...settings.verify.caPem], rejectUnauthorized: true }
    : { rejectUnauthorized: false })
})

/**
 * DER of the certificate the remote presented, copied out of Node's buffer. `getPeerX509Certificate` wraps the
 * certificate lazily; `getPeerCertificate` would parse every field into a JS object (per connection, only to be dropped).
 */
export const peerCertificate = (socket: TLSSocket): Option.Option<Uint8Array> => {
  const raw = socket.getPeerX509Certificate()?.raw
  return raw !== undefined && raw.length > 0 ? Option.some(new Uint8Array(raw)) : Option.none()
}

export const hasPeerCertificate = (socket: TLSSocket): boolean => socket.getPeerX509Certificate() !== undefined

/** The Chia node id / peer id: SHA-256 of the certificate DER. */
export const certificateId = (der: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(der).digest())
