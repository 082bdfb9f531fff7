/**
 * The running node's short status (peers in and out, bans, known addresses, message rates): one line kept current at
 * the bottom of an interactive terminal, or a `status` log line (with the numbers as annotations, so JSON logs carry
 * them as fields) at a fixed interval otherwise.
 */
import { Clock, Duration, Effect } from "effect"
import type { Terminal } from "./logging.js"

export interface StatusSnapshot {
  readonly inbound: number
  readonly outbound: number
  readonly bans: number
  /** Address-book size (full node) or registered peers (introducer). */
  readonly addresses: number
  /** Frames received and sent since start, every connection counted. */
  readonly framesIn: number
  readonly framesOut: number
}

/** How often the interactive line is refreshed. */
export const REFRESH_INTERVAL = Duration.seconds(1)
/** How often a status log line is written when the output is not a terminal. */
export const DEFAULT_LOG_INTERVAL = Duration.seconds(30)

export interface StatusFields {
  readonly peers_in: number
  readonly peers_out: number
  readonly bans: number
  readonly addresses: number
  readonly msgs_in_per_s: number
  readonly msgs_out_per_s: number
}

const rate = (count: number, seconds: number) => (seconds > 0 ? Math.round((count / seconds) * 10) / 10 : 0)

export const fields = (now: StatusSnapshot, before: StatusSnapshot, seconds: number): StatusFields => ({
  peers_in: now.inbound,
  peers_out: now.outbound,
  bans: now.bans,
  addresses: now.addresses,
  msgs_in_per_s: rate(now.framesIn - before.framesIn, seconds),
  msgs_out_per_s: rate(now.framesOut - before.framesOut, seconds)
})

const clock = (seconds: number): string => {
  const s = Math.floor(seconds)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`
}

/** `peers 3 in / 8 out · bans 0 · addresses 120 · 1.2/0.8 msg/s in/out · up 00:05:12` */
export const render = (f: StatusFields, uptimeSeconds: number, addressesLabel: string): string =>
  `peers ${f.peers_in} in / ${f.peers_out} out · bans ${f.bans} · ${addressesLabel} ${f.addresses} · ` +
  `${f.msgs_in_per_s}/${f.msgs_out_per_s} msg/s in/out · up ${clock(uptimeSeconds)}`

export interface StatusOptions {
  readonly terminal: Terminal
  readonly snapshot: Effect.Effect<StatusSnapshot>
  /** Interval of status log lines when the terminal is not interactive. */
  readonly logInterval?: Duration.DurationInput | undefined
  /** Word for `addresses` in the line ("addresses", "registered"). */
  readonly addressesLabel?: string | undefined
}

/** Runs until interrupted; clears the interactive line when it ends. */
export const run = (options: StatusOptions): Effect.Effect<never> =>
  Effect.gen(function*() {
    const { terminal } = options
    const label = options.addressesLabel ?? "addresses"
    const interval = terminal.interactive
      ? REFRESH_INTERVAL
      : Duration.decode(options.logInterval ?? DEFAULT_LOG_INTERVAL)
    const started = yield* Clock.currentTimeMillis
    let before = yield* options.snapshot
    let beforeAt = started
    const tick = Effect.gen(function*() {
      const now = yield* options.snapshot
      const at = yield* Clock.currentTimeMillis
      const current = fields(now, before, (at - beforeAt) / 1000)
      before = now
      beforeAt = at
      if (terminal.interactive) terminal.setStatus(render(current, (at - started) / 1000, label))
      else yield* Effect.logInfo("status").pipe(Effect.annotateLogs({ ...current }))
    })
    if (terminal.interactive) yield* tick
    return yield* Effect.forever(Effect.zipRight(Effect.sleep(interval), tick))
  }).pipe(Effect.ensuring(Effect.sync(() => options.terminal.clearStatus())))
