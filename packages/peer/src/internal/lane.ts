/**
 * The slow lane of the push reader. Frames are handled synchronously in the transport's socket event; what that
 * cannot finish (a violation to close with, a full handler queue or mailbox to wait on, a log line) becomes a job that
 * one fiber runs, in order, while delivery is paused. After each job the lane calls `idle`, which resumes delivery
 * when nothing else waits.
 */
import { Effect } from "effect"

export interface Lane {
  /** Queues `job` and answers `false`: the push consumer's "pause until resumed". */
  readonly run: (job: Effect.Effect<void>) => false
  /** The lane's fiber: runs jobs for as long as it lives. */
  readonly loop: Effect.Effect<never>
}

export const makeLane = (idle: () => void): Lane => {
  const jobs: Array<Effect.Effect<void>> = []
  let wake: ((next: Effect.Effect<Effect.Effect<void>>) => void) | undefined

  const next: Effect.Effect<Effect.Effect<void>> = Effect.async((resume) => {
    const job = jobs.shift()
    if (job !== undefined) resume(Effect.succeed(job))
    else wake = resume
  })

  const afterJob = Effect.sync(() => {
    if (jobs.length === 0) idle()
  })

  return {
    run: (job) => {
      const waiting = wake
      if (waiting !== undefined) {
        wake = undefined
        waiting(Effect.succeed(job))
      } else {
        jobs.push(job)
      }
      return false
    },
    loop: Effect.forever(Effect.flatMap(next, (job) => Effect.zipRight(job, afterJob)))
  }
}
