/**
 * The slow lane of the push reader. Frames are handled synchronously in the transport's socket event; what that
 * cannot finish (a violation to close with, a full handler queue or mailbox to wait on, a log line) becomes a job that
 * one fiber runs, in order, while delivery is paused. After each job the lane calls `idle`, which resumes delivery
 * when nothing else waits. The fiber exists only while there are jobs (an idle peer holds none).
 */
import { Effect } from "effect"

export interface Lane {
  /** Queues `job` and answers `false`: the push consumer's "pause until resumed". */
  readonly run: (job: Effect.Effect<void>) => false
}

export const makeLane = (
  idle: () => void,
  /** Starts the lane's fiber (supervised by the peer). */
  start: (loop: Effect.Effect<void>) => void
): Lane => {
  const jobs: Array<Effect.Effect<void>> = []
  let running = false

  const afterJob: Effect.Effect<void> = Effect.suspend(() => {
    // Resuming delivery may queue the next job at once (frames are handed over synchronously).
    if (jobs.length === 0) idle()
    return loop
  })

  const loop: Effect.Effect<void> = Effect.suspend(() => {
    const job = jobs.shift()
    if (job === undefined) {
      running = false
      return Effect.void
    }
    return Effect.zipRight(job, afterJob)
  })

  return {
    run: (job) => {
      jobs.push(job)
      if (!running) {
        running = true
        start(loop)
      }
      return false
    }
  }
}
