/**
 * One open `ws.WebSocket` as a `Connection`. Everything `ws` reports arrives through Node event callbacks, which only
 * update plain state synchronously (they never throw back into `ws`); the Effect side reads that state.
 *
 * Any end of the socket (close handshake, error, TCP reset, `terminate`) runs `finalize` exactly once: `frames` ends or
 * fails, `closed` resolves, waiting senders and pings fail. A peer that vanishes without closing TCP (half-open) is only
 * noticed when a write fails or by the peer layer's heartbeat (`ping` with a timeout).
 */
import { randomBytes } from "node:crypto"
import type { Socket } from "node:net"
import { TLSSocket } from "node:tls"
import WebSocket from "ws"
import { Deferred, Duration, Effect, Exit, FiberId, Option, Stream } from "effect"
import type { Address, CloseInfo, Connection, FrameConsumer, FrameDelivery, TransportError } from "../Transport.js"
import { DEFAULT_PING_TIMEOUT } from "../Transport.js"
import { connectionError, transportError } from "./websocketErrors.js"
import { closeReason, isSendableCloseCode, ownedFrame, payloadView } from "./websocketFrames.js"
import { Inbox } from "./websocketInbox.js"
import { certificateId } from "./websocketTls.js"

export interface ConnectionSettings {
  readonly id: string
  readonly direction: "inbound" | "outbound"
  readonly local: Address
  readonly remote: Address
  readonly peerCertificate: Option.Option<Uint8Array>
  readonly maxFrameSize: number
  /** Outbound bytes in the socket buffer above which `send` waits. */
  readonly highWaterMark: number
  /** Inbound bytes waiting for the consumer above which the socket is paused. */
  readonly inboundHighWaterMark: number
  readonly closeTimeoutMs: number
  /** Called once, after the connection has fully ended (the listener forgets it). */
  readonly onFinalized?: ((connection: WebSocketConnection) => void) | undefined
}

type Resume<A, E> = (effect: Effect.Effect<A, E>) => void

interface Ending {
  readonly initiator: "local" | "remote"
  readonly code: number
  readonly reason: string
  readonly error: TransportError | undefined
}

/** Close codes used when this side detects a violation, as `ws` does for its own checks. */
const CLOSE_PROTOCOL_ERROR = 1002
const CLOSE_UNSUPPORTED_DATA = 1003
const CLOSE_MESSAGE_TOO_BIG = 1009
const CLOSE_ABNORMAL = 1006
const CLOSE_INTERNAL_ERROR = 1011
/** Frames up to this size are batched per microtask (see `write`). */
const CORK_MAX_FRAME = 64 * 1024
/** While bursts are small, their first frames are written at once (see `write`). */
const IMMEDIATE_FRAMES = 2
/** Bursts averaging at least this many frames are batched from their first frame (see `write`). */
const LARGE_BURST_FRAMES = 8
/** Weight of the newest burst in the running average of burst sizes: 1 / this. */
const BURST_SMOOTHING = 8
/** A batch is flushed once it holds this many frames, so the remote can start on them while the burst goes on. */
const CORK_FLUSH_FRAMES = 16
/** A batch is flushed once it holds this many bytes, without waiting for the end of the microtask. */
const CORK_MAX_BYTES = 64 * 1024

export class WebSocketConnection implements Connection {
  readonly id: string
  readonly direction: "inbound" | "outbound"
  readonly local: Address
  readonly remote: Address
  readonly peerCertificate: Option.Option<Uint8Array>
  readonly frames: Stream.Stream<Uint8Array, TransportError>
  readonly takeFrames: Effect.Effect<ReadonlyArray<Uint8Array>, TransportError>
  readonly closed: Effect.Effect<CloseInfo>

  private state: "open" | "closing" | "closed" = "open"
  /** Set when this side decided to end the connection (close, violation it detected, or `ws` detected). */
  private ending: Ending | undefined = undefined
  private closeTimer: NodeJS.Timeout | undefined = undefined
  private readonly inbox: Inbox
  private readonly closedDeferred = Deferred.unsafeMake<CloseInfo>(FiberId.none)
  private readonly drainWaiters: Array<() => void> = []
  /** Pings waiting for their pong, by nonce; created by the first ping (most connections never hold one). */
  private pings: Map<string, Resume<void, TransportError>> | undefined = undefined
  private peerIdCache: Option.Option<Uint8Array> | undefined = undefined
  /** The socket is corked until the end of the current microtask or the batch is full (see `write`). */
  private corked = false
  private corkedBytes = 0
  private corkedFrames = 0
  /** Running average of the frames per burst (see `write`). */
  private averageBurst = 0
  /** TLS (wss) rather than a plain socket (see `write`). */
  private readonly encrypted: boolean
  /** Frames sent in the current microtask. */
  private burst = 0

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings
  ) {
    this.id = settings.id
    this.direction = settings.direction
    this.local = settings.local
    this.remote = settings.remote
    this.peerCertificate = settings.peerCertificate
    this.encrypted = socket instanceof TLSSocket
    this.inbox = new Inbox(
      settings.inboundHighWaterMark,
      () => this.ws.pause(),
      () => this.resumeReading(),
      (cause) => this.consumerFailed(cause),
      ownedFrame
    )
    this.frames = this.inbox.stream
    this.takeFrames = this.inbox.take
    this.closed = Deferred.await(this.closedDeferred)
    ws.on("message", this.onMessage)
    ws.on("pong", this.onPong)
    ws.on("error", this.onError)
    ws.on("close", this.onClose)
    socket.on("drain", this.onDrain)
    socket.on("error", this.onSocketError)
  }

  /** SHA-256 of the certificate, computed on first use (many connections are refused before anyone asks). */
  get peerId(): Option.Option<Uint8Array> {
    this.peerIdCache ??= Option.map(this.peerCertificate, certificateId)
    return this.peerIdCache
  }

  /** Bytes and frames received but not yet taken by the consumer (for tests and diagnostics). */
  get inboundBuffered(): { readonly bytes: number; readonly frames: number } {
    return { bytes: this.inbox.bufferedBytes, frames: this.inbox.bufferedFrames }
  }

  /** Bytes written but not yet accepted by the kernel. */
  get outboundBuffered(): number {
    return this.ws.bufferedAmount
  }

  get isReadingPaused(): boolean {
    return this.ws.isPaused
  }

  readonly send = (frame: Uint8Array): Effect.Effect<void, TransportError> => Effect.suspend(() => this.trySend(frame))

  readonly deliverTo = (consumer: FrameConsumer): Effect.Effect<FrameDelivery> =>
    Effect.sync(() => this.inbox.deliverTo(consumer))

  readonly unsafeOffer = (frame: Uint8Array): boolean => {
    if (!this.isWritable() || frame.byteLength > this.settings.maxFrameSize) return false
    // Senders already waiting for `drain` go first.
    if (this.drainWaiters.length > 0 || this.mustWait()) return false
    this.write(frame, true)
    return true
  }

  readonly close = (code = 1000, reason = ""): Effect.Effect<void> =>
    Effect.suspend(() => {
      this.beginClose(isSendableCloseCode(code) ? code : 1000, closeReason(reason), undefined)
      return Deferred.await(this.closedDeferred)
    }).pipe(Effect.asVoid)

  readonly ping = (timeout: Duration.DurationInput = DEFAULT_PING_TIMEOUT): Effect.Effect<Duration.Duration, TransportError> =>
    Effect.suspend(() => {
      if (this.state !== "open") return Effect.fail(this.writeAfterClose())
      const nonce = randomBytes(8)
      const key = nonce.toString("hex")
      const pong = Effect.async<void, TransportError>((resume) => {
        const pings = this.pings ??= new Map()
        pings.set(key, resume)
        this.ws.ping(nonce)
        return Effect.sync(() => pings.delete(key))
      })
      return Effect.timed(pong).pipe(
        Effect.map(([rtt]) => rtt),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => transportError("Timeout", `no pong within ${Duration.format(Duration.decode(timeout))}`)
        })
      )
    })

  /** Drops the socket at once (no close handshake). */
  terminate(): void {
    if (this.state === "closed") return
    this.ending ??= { initiator: "local", code: CLOSE_ABNORMAL, reason: "terminated", error: undefined }
    this.state = "closing"
    this.ws.terminate()
  }

  /** `ws` leaves OPEN as soon as the remote's close frame arrives, before `close` is reported. */
  private isWritable(): boolean {
    return this.state === "open" && this.ws.readyState === WebSocket.OPEN
  }

  private trySend(frame: Uint8Array): Effect.Effect<void, TransportError> {
    if (!this.isWritable()) return Effect.fail(this.writeAfterClose())
    if (frame.byteLength > this.settings.maxFrameSize) {
      return Effect.fail(transportError(
        "FrameTooLarge",
        `frame of ${frame.byteLength} bytes is over the limit of ${this.settings.maxFrameSize}`
      ))
    }
    if (this.mustWait()) return Effect.zipRight(this.waitDrain, Effect.suspend(() => this.trySend(frame)))
    this.write(frame, false)
    return Effect.void
  }

  /** `owned`: the caller gave the frame away (`unsafeOffer`), so it need not be copied. */
  private write(frame: Uint8Array, owned: boolean): void {
    // A burst of sends in one microtask (every fiber a batch of inbound frames woke) leaves in batches, one TLS record
    // and one system call each, instead of one per frame. While bursts are small (a few requests in flight), the first
    // frames of a burst go at once so the remote can start on them: batching them too would make the two sides take
    // turns (half the throughput at 4 in flight, measured). Once bursts are large, every frame is batched: lone frames
    // sent ahead would come back as lone replies and split the traffic into ever smaller batches (a quarter less
    // throughput at 64 in flight, measured). A batch is flushed every `CORK_FLUSH_FRAMES` frames, and at the end of the
    // microtask. Large frames gain nothing from batching and are written at once.
    if (frame.byteLength <= CORK_MAX_FRAME) {
      if (this.burst++ === 0) queueMicrotask(this.endBurst)
      const immediate = this.averageBurst < LARGE_BURST_FRAMES ? IMMEDIATE_FRAMES : 0
      if (this.burst > immediate && !this.corked) {
        this.corked = true
        this.corkedBytes = 0
        this.corkedFrames = 0
        this.socket.cork()
      }
    } else {
      this.uncork()
    }
    // A server's frames are not masked, so `ws` would hand the caller's own bytes to the socket; the caller of `send`
    // may reuse them once it returns, so a frame that may wait in a buffer is copied: always on a plain socket (the
    // kernel may take part of a write and the rest waits), on TLS only behind other buffered writes (TLS encrypts
    // what it is given at once). A client's frames are masked into a copy by `ws`.
    const queued = !owned && this.direction === "inbound" &&
      (!this.encrypted || this.corked || this.socket.writableLength > 0)
    this.ws.send(queued ? Buffer.from(frame) : frame)
    if (this.corked) {
      this.corkedBytes += frame.byteLength
      if (++this.corkedFrames >= CORK_FLUSH_FRAMES || this.corkedBytes > CORK_MAX_BYTES) this.uncork()
    }
  }

  private readonly endBurst = (): void => {
    this.averageBurst += (this.burst - this.averageBurst) / BURST_SMOOTHING
    this.burst = 0
    this.uncork()
  }

  private readonly uncork = (): void => {
    if (!this.corked) return
    this.corked = false
    this.socket.uncork()
  }

  /** Waits only when the socket itself will announce `drain`, so a wait can never miss its wake-up. */
  private mustWait(): boolean {
    return this.socket.writableLength > this.settings.highWaterMark && this.socket.writableNeedDrain
  }

  private readonly waitDrain: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.state !== "open" || !this.mustWait()) return resume(Effect.void)
    const wake = () => resume(Effect.void)
    this.drainWaiters.push(wake)
    return Effect.sync(() => {
      const index = this.drainWaiters.indexOf(wake)
      if (index >= 0) this.drainWaiters.splice(index, 1)
    })
  })

  private consumerFailed(cause: unknown): void {
    const error = transportError("ConsumerFailed", `the frame consumer of connection ${this.id} threw`, cause)
    this.beginClose(CLOSE_INTERNAL_ERROR, "internal error", error)
  }

  private writeAfterClose(): TransportError {
    return transportError("WriteAfterClose", `connection ${this.id} is closed`)
  }

  private resumeReading(): void {
    if (this.state === "open") this.ws.resume()
  }

  /** Starts the close handshake once; the socket is torn down if the remote does not finish it in time. */
  private beginClose(code: number, reason: string, error: TransportError | undefined): void {
    if (this.state !== "open") return
    this.state = "closing"
    this.ending = { initiator: "local", code, reason, error }
    this.wakeSenders()
    // The remote's close frame must be read even if the consumer had stopped reading.
    if (this.ws.isPaused) this.ws.resume()
    try {
      this.ws.close(code, reason)
    } catch {
      this.ws.terminate()
    }
    this.armCloseTimer()
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.state === "closed") return
    this.closeTimer = setTimeout(() => this.ws.terminate(), this.settings.closeTimeoutMs)
    this.closeTimer.unref()
  }

  private wakeSenders(): void {
    const waiters = this.drainWaiters.splice(0)
    for (const wake of waiters) wake()
  }

  private readonly onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.state !== "open") return
    if (!isBinary) {
      const error = transportError("ProtocolError", "text frame received; only binary frames are allowed")
      this.beginClose(CLOSE_UNSUPPORTED_DATA, "binary frames only", error)
      return
    }
    this.inbox.offer(payloadView(data))
  }

  private readonly onPong = (data: Buffer): void => {
    const key = data.toString("hex")
    const resume = this.pings?.get(key)
    if (resume === undefined) return
    this.pings?.delete(key)
    resume(Effect.void)
  }

  /** `ws` destroys the socket on a socket error without reporting it; the cause is kept for `closed`. */
  private readonly onSocketError = (error: Error): void => {
    if (this.state !== "closed" && this.ending === undefined) {
      this.ending = { initiator: "remote", code: CLOSE_ABNORMAL, reason: "", error: connectionError(error) }
    }
  }

  private readonly onError = (cause: Error): void => {
    if (this.state === "closed") return
    const error = connectionError(cause)
    if (this.ending === undefined) {
      // `ws` closes by itself after its own protocol checks (1009 over `maxPayload`, 1002 otherwise).
      const detectedHere = error.reason === "FrameTooLarge" || error.reason === "ProtocolError"
      const code = error.reason === "FrameTooLarge" ? CLOSE_MESSAGE_TOO_BIG : detectedHere ? CLOSE_PROTOCOL_ERROR : CLOSE_ABNORMAL
      this.ending = { initiator: detectedHere ? "local" : "remote", code, reason: "", error }
    } else if (this.ending.error === undefined && this.ending.initiator === "remote") {
      this.ending = { ...this.ending, error }
    }
    this.state = "closing"
    this.wakeSenders()
    this.armCloseTimer()
  }

  private readonly onDrain = (): void => this.wakeSenders()

  private readonly onClose = (code: number, reason: Buffer): void => this.finalize(code, reason.toString("utf8"))

  private finalize(code: number, reason: string): void {
    if (this.state === "closed") return
    this.state = "closed"
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    this.ws.off("message", this.onMessage)
    this.ws.off("pong", this.onPong)
    this.ws.off("error", this.onError)
    this.ws.off("close", this.onClose)
    this.socket.off("drain", this.onDrain)
    this.socket.off("error", this.onSocketError)
    this.ws.on("error", ignore)
    const info = this.closeInfo(code, reason)
    Option.match(info.error, { onNone: () => this.inbox.end(), onSome: (error) => this.inbox.fail(error) })
    this.wakeSenders()
    const pings = this.pings
    this.pings = undefined
    if (pings !== undefined && pings.size > 0) {
      const lost = transportError("ConnectionLost", `connection ${this.id} closed before the pong arrived`)
      for (const resume of pings.values()) resume(Effect.fail(lost))
    }
    Deferred.unsafeDone(this.closedDeferred, Exit.succeed(info))
    this.settings.onFinalized?.(this)
  }

  private closeInfo(code: number, reason: string): CloseInfo {
    const ending = this.ending
    if (ending !== undefined) {
      return { initiator: ending.initiator, code: ending.code === CLOSE_ABNORMAL ? code : ending.code, reason: ending.reason, error: Option.fromNullable(ending.error) }
    }
    if (code === CLOSE_ABNORMAL) {
      const error = transportError("ConnectionLost", `connection ${this.id} ended without a close frame`)
      return { initiator: "remote", code, reason, error: Option.some(error) }
    }
    return { initiator: "remote", code, reason, error: Option.none() }
  }
}

const ignore = (): void => {}
