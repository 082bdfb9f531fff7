/**
 * Both ends of one in-memory connection. End 0 dialed, end 1 accepted; `pipes[i]` carries frames from end `i` to the
 * other. Everything that takes time is computed against the Effect `Clock` (so `TestClock` drives it).
 */
import { Chunk, Clock, Deferred, Duration, Effect, Exit, FiberId, Option, Scope, Stream } from "effect"
import type { Address, CloseInfo, Connection } from "../Transport.js"
import { DEFAULT_PING_TIMEOUT, TransportError } from "../Transport.js"
import { deliverByPull } from "./framePump.js"
import type { ResolvedFaults } from "./memoryFaults.js"
import { type Envelope, Pipe } from "./memoryPipe.js"

/** Normal closure. */
export const CLOSE_NORMAL = 1000
/** What an accepted connection is closed with when its listener goes away. */
export const CLOSE_GOING_AWAY = 1001
/** No close frame: the link died (WebSocket's "abnormal closure"). */
export const CLOSE_ABNORMAL = 1006
/** The receiver refused a frame over its `maxFrameSize`. */
export const CLOSE_TOO_BIG = 1009
/** The end's push consumer threw. */
export const CLOSE_INTERNAL_ERROR = 1011

/** What a link needs from its network. */
export interface LinkEnvironment {
  /** Faults between two addresses right now, `blackhole: true` when a partition separates them. */
  readonly faultsBetween: (from: Address, to: Address) => ResolvedFaults
  readonly jitter: (max: number) => Effect.Effect<number>
  readonly forget: (link: MemoryLink) => void
}

export interface EndSettings {
  readonly id: string
  readonly direction: "inbound" | "outbound"
  readonly local: Address
  readonly remote: Address
  readonly peerCertificate: Option.Option<Uint8Array>
  readonly peerId: Option.Option<Uint8Array>
  readonly maxFrameSize: number
  readonly highWaterMark: number
  /** Owns this end's timers and its close-on-scope-close finalizer; closed when the end closes. */
  readonly scope: Scope.CloseableScope
  /**
   * Owns the push-delivery fiber (`deliverTo`), which must outlive the end's close to hand over the last frames and
   * the end: the dial's scope, or the listener's.
   */
  readonly pumpScope: Scope.Scope
}

interface End extends EndSettings {
  info: CloseInfo | undefined
  /** `send` calls under way (holding or waiting for `sendLock`); `unsafeOffer` never overtakes them. */
  sending: number
  readonly closed: Deferred.Deferred<CloseInfo>
  readonly sendLock: Effect.Semaphore
}

type Side = 0 | 1
const other = (side: Side): Side => (side === 0 ? 1 : 0)

const failure = (reason: TransportError["reason"], message: string) => new TransportError({ reason, message })

const NO_FRAMES: ReadonlyArray<Uint8Array> = []

const sleepMillis = (millis: number) => (millis > 0 ? Effect.sleep(Duration.millis(millis)) : Effect.void)

export class MemoryLink {
  private readonly ends: readonly [End, End]
  readonly pipes: readonly [Pipe, Pipe] = [new Pipe(), new Pipe()]
  /** Frames sent on the connection, both directions (for `dropAfterFrames`). */
  framesSent = 0
  readonly connections: readonly [Connection, Connection]

  constructor(
    private readonly env: LinkEnvironment,
    /** The Clock of the dial, for `unsafeOffer` (synchronous, so it cannot ask for the Clock service). */
    private readonly clock: Clock.Clock,
    dialer: EndSettings,
    acceptor: EndSettings
  ) {
    const end = (settings: EndSettings): End => ({
      ...settings,
      info: undefined,
      sending: 0,
      closed: Deferred.unsafeMake<CloseInfo>(FiberId.none),
      sendLock: Effect.unsafeMakeSemaphore(1)
    })
    this.ends = [end(dialer), end(acceptor)]
    this.connections = [this.connection(0), this.connection(1)]
  }

  settings(side: Side): EndSettings {
    return this.ends[side]
  }

  isOpen(side: Side): boolean {
    return this.ends[side].info === undefined
  }

  private faults(side: Side): ResolvedFaults {
    const end = this.ends[side]
    return this.env.faultsBetween(end.local, end.remote)
  }

  /** Runs `action` at Clock time `at`: now when it is due, else in a fiber owned by the scope of end `owner`. */
  private at(owner: Side, at: number, action: Effect.Effect<void>): Effect.Effect<void> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) =>
      at <= now
        ? action
        // The wait is made interruptible explicitly: a fork inherits the caller's (often uninterruptible) region, and
        // closing the owner's scope must be able to stop it.
        : Effect.asVoid(Effect.forkIn(
          Effect.zipRight(Effect.interruptible(sleepMillis(at - now)), Effect.uninterruptible(action)),
          this.ends[owner].scope
        )))
  }

  /** When `size` bytes sent now from `side` arrive, or `undefined` when they are lost. Advances the wire state. */
  private deliveryTime(side: Side, size: number, faults: ResolvedFaults): Effect.Effect<number | undefined> {
    if (faults.blackhole) return Effect.succeed(undefined)
    return Effect.gen(this, function*() {
      const now = yield* Clock.currentTimeMillis
      const jitter = yield* this.env.jitter(faults.jitter)
      return this.arrival(side, size, faults, now, jitter)
    })
  }

  /** The wire-state part of `deliveryTime`. */
  private arrival(side: Side, size: number, faults: ResolvedFaults, now: number, jitter: number): number {
    const pipe = this.pipes[side]
    const wire = faults.bandwidth > 0 ? (size * 1000) / faults.bandwidth : 0
    const start = Math.max(now, pipe.busyUntil)
    pipe.busyUntil = start + wire
    // Whole milliseconds: the clock's own unit, and no float drift between a computed time and the clock's.
    const at = Math.max(pipe.lastDeliverAt, Math.ceil(start + wire + faults.latency + jitter))
    pipe.lastDeliverAt = at
    return at
  }

  /** Marks end `side` closed: its inbound frames end (those `keep` rejects are lost), waiters wake, timers stop. */
  private finish(side: Side, info: CloseInfo, keep: (envelope: Envelope) => boolean): Effect.Effect<void> {
    return Effect.suspend(() => {
      const end = this.ends[side]
      if (end.info !== undefined) return Effect.void
      end.info = info
      this.pipes[other(side)].finish(
        Option.isSome(info.error) ? { _tag: "Failed", error: info.error.value } : { _tag: "Closed" },
        keep
      )
      this.pipes[side].writable.notify()
      Deferred.unsafeDone(end.closed, Exit.succeed(info))
      if (this.ends[other(side)].info !== undefined) this.env.forget(this)
      return Scope.close(end.scope, Exit.void)
    })
  }

  /**
   * Closes end `side` with a close handshake: it is closed at once, and the other end learns it when the close frame
   * arrives (after the link's delay; never on a blackholed link).
   */
  closeLocal(
    side: Side,
    code: number,
    reason: string,
    error: Option.Option<TransportError> = Option.none(),
    keep?: (envelope: Envelope) => boolean
  ): Effect.Effect<void> {
    return Effect.uninterruptible(Effect.gen(this, function*() {
      if (this.ends[side].info !== undefined) return
      const now = yield* Clock.currentTimeMillis
      yield* this.finish(side, { initiator: "local", code, reason, error }, keep ?? ((e) => e.deliverAt <= now))
      const peer = other(side)
      if (this.ends[peer].info !== undefined) return
      const arrival = yield* this.deliveryTime(side, 2 + reason.length, this.faults(side))
      if (arrival === undefined) return
      yield* this.at(
        peer,
        arrival,
        this.finish(peer, { initiator: "remote", code, reason, error: Option.none() }, () => true)
      )
    }))
  }

  /**
   * Kills the link without a close handshake (code 1006, `ConnectionLost` on both ends). Frames that had not arrived
   * are lost; `keepFrom[i]` may keep more of what end `i` sent.
   */
  cut(message: string, keepFrom?: readonly [(e: Envelope) => boolean, (e: Envelope) => boolean]): Effect.Effect<void> {
    return Effect.uninterruptible(Effect.gen(this, function*() {
      const now = yield* Clock.currentTimeMillis
      const arrived = (e: Envelope) => e.deliverAt <= now
      const error = failure("ConnectionLost", message)
      const info: CloseInfo = { initiator: "remote", code: CLOSE_ABNORMAL, reason: "", error: Option.some(error) }
      // End 0's inbound frames were sent by end 1, and the other way round.
      yield* this.finish(0, info, keepFrom?.[1] ?? arrived)
      yield* this.finish(1, info, keepFrom?.[0] ?? arrived)
    }))
  }

  send(side: Side, frame: Uint8Array): Effect.Effect<void, TransportError> {
    const end = this.ends[side]
    const pipe = this.pipes[side]
    const writeAfterClose = () => failure("WriteAfterClose", `connection ${end.id} is closed`)
    const locked = end.sendLock.withPermits(1)(Effect.gen(this, function*() {
      if (end.info !== undefined) return yield* Effect.fail(writeAfterClose())
      // Back-pressure: wait while the receiver has not read what is above the high-water mark.
      yield* pipe.writable.until(() =>
        pipe.inFlight < end.highWaterMark || end.info !== undefined || pipe.end !== undefined
      )
      if (end.info !== undefined) return yield* Effect.fail(writeAfterClose())
      const copy = frame.slice()
      this.framesSent++
      const faults = this.faults(side)
      const arrival = yield* this.deliveryTime(side, copy.length, faults)
      const seq = pipe.nextSeq++
      const receiver = other(side)
      // A pipe that already ended means the receiver closed; the frame is lost on its way, as on a real wire.
      if (arrival !== undefined && pipe.end === undefined) {
        if (copy.length > this.ends[receiver].maxFrameSize) {
          pipe.push({ frame: new Uint8Array(0), deliverAt: arrival, seq, oversized: true })
          const limit = this.ends[receiver].maxFrameSize
          const error = failure("FrameTooLarge", `received a ${copy.length}-byte frame, over the limit of ${limit}`)
          yield* this.at(
            receiver,
            arrival,
            this.closeLocal(receiver, CLOSE_TOO_BIG, "frame too large", Option.some(error), (e) => e.seq < seq)
          )
        } else {
          pipe.push({ frame: copy, deliverAt: arrival, seq })
        }
      }
      if (faults.dropAfterFrames !== undefined && this.framesSent >= faults.dropAfterFrames) {
        const now = yield* Clock.currentTimeMillis
        const sent = (e: Envelope) => e.seq <= seq
        const keep = (from: Side) => from === side ? sent : (e: Envelope) => e.deliverAt <= (arrival ?? now)
        yield* this.at(
          receiver,
          arrival ?? now,
          this.cut(`dropped after ${faults.dropAfterFrames} frames (fault injection)`, [keep(0), keep(1)])
        )
      }
    }))
    return Effect.suspend(() => {
      end.sending++
      return Effect.ensuring(locked, Effect.sync(() => end.sending--))
    })
  }

  /**
   * `send` without waiting, for the plain case only: open, no sender in front, under the high-water mark, a frame the
   * receiver accepts, and no fault that needs randomness or a timer (jitter, blackhole, drop after N frames).
   */
  offer(side: Side, frame: Uint8Array): boolean {
    const end = this.ends[side]
    const pipe = this.pipes[side]
    const receiver = this.ends[other(side)]
    if (end.info !== undefined || pipe.end !== undefined || end.sending > 0) return false
    if (pipe.inFlight >= end.highWaterMark || frame.length > receiver.maxFrameSize) return false
    const faults = this.faults(side)
    if (faults.blackhole || faults.jitter > 0 || faults.dropAfterFrames !== undefined) return false
    this.framesSent++
    const arrival = this.arrival(side, frame.length, faults, this.clock.unsafeCurrentTimeMillis(), 0)
    pipe.push({ frame: frame.slice(), deliverAt: arrival, seq: pipe.nextSeq++ })
    return true
  }

  /** Pull reads as batches (`Connection.takeFrames`): an empty batch at a clean end. */
  private take(side: Side): Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> {
    return Effect.matchEffect(this.pipes[other(side)].pull, {
      onFailure: Option.match({ onNone: () => Effect.succeed(NO_FRAMES), onSome: Effect.fail }),
      onSuccess: (chunk) => Effect.succeed(Chunk.toReadonlyArray(chunk))
    })
  }

  ping(side: Side, timeout: Duration.DurationInput): Effect.Effect<Duration.Duration, TransportError> {
    const end = this.ends[side]
    return Effect.gen(this, function*() {
      if (end.info !== undefined) {
        return yield* Effect.fail(failure("WriteAfterClose", `connection ${end.id} is closed`))
      }
      const there = this.faults(side)
      const back = this.faults(other(side))
      const start = yield* Clock.currentTimeMillis
      const roundTrip = there.blackhole || back.blackhole ?
        Effect.never :
        Effect.gen(this, function*() {
          const out = Math.ceil(there.latency + (yield* this.env.jitter(there.jitter)))
          const home = Math.ceil(back.latency + (yield* this.env.jitter(back.jitter)))
          yield* sleepMillis(out + home)
        })
      const lost = Effect.zipRight(
        Deferred.await(end.closed),
        Effect.fail(failure("ConnectionLost", `connection ${end.id} closed during a ping`))
      )
      yield* Effect.raceFirst(roundTrip, lost)
      return Duration.millis((yield* Clock.currentTimeMillis) - start)
    }).pipe(Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => failure("Timeout", `no pong on connection ${end.id} within ${Duration.format(timeout)}`)
    }))
  }

  private connection(side: Side): Connection {
    const end = this.ends[side]
    const take = this.take(side)
    return {
      id: end.id,
      direction: end.direction,
      local: end.local,
      remote: end.remote,
      peerCertificate: end.peerCertificate,
      peerId: end.peerId,
      send: (frame) => this.send(side, frame),
      unsafeOffer: (frame) => this.offer(side, frame),
      frames: Stream.repeatEffectChunkOption(this.pipes[other(side)].pull),
      takeFrames: take,
      deliverTo: (consumer) =>
        deliverByPull(take, consumer, (cause) =>
          this.closeLocal(
            side,
            CLOSE_INTERNAL_ERROR,
            "internal error",
            Option.some(new TransportError({
              reason: "ConsumerFailed",
              message: `the frame consumer of connection ${end.id} threw`,
              cause
            }))
          )).pipe(Scope.extend(end.pumpScope)),
      close: (code = CLOSE_NORMAL, reason = "") => this.closeLocal(side, code, reason),
      closed: Deferred.await(end.closed),
      ping: (timeout = DEFAULT_PING_TIMEOUT) => this.ping(side, timeout)
    }
  }
}
