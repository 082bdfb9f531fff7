/**
 * Runs inbound handlers with bounded concurrency without a fork per message: workers (up to `concurrency`) are started
 * only while jobs wait, each takes jobs in submission order and ends as soon as none is left, so an idle peer holds no
 * fiber here. At most `queueSize` jobs wait: `trySubmit` refuses beyond that and `submit` waits for room
 * (back-pressure up to the reader, and from there to the transport).
 */
import { Effect } from "effect"

export interface HandlerPool {
  readonly submit: (job: Effect.Effect<void>) => Effect.Effect<void>
  /** Queues `job` now when there is room (starting a worker if needed): `false` when the queue is full. */
  readonly trySubmit: (job: Effect.Effect<void>) => boolean
  /** Drops what waits and starts no worker any more (the peer has ended). */
  readonly close: () => void
}

export const makeHandlerPool = (options: {
  readonly concurrency: number
  readonly queueSize: number
  /** Starts a worker fiber supervised by the peer. */
  readonly fork: (worker: Effect.Effect<void>) => void
}): HandlerPool => {
  const jobs: Array<Effect.Effect<void>> = []
  let workers = 0
  let closed = false
  // Submitters waiting for room; all are woken when a job leaves the queue, and retry.
  let waiting: Array<() => void> = []

  // Takes the next job and ends when there is none, in one synchronous step with the count below (no job can slip
  // in between).
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    const job = jobs.shift()
    if (job === undefined) return Effect.void
    if (waiting.length > 0) {
      const wake = waiting
      waiting = []
      for (const resume of wake) resume()
    }
    // A defect in a job must not take the worker down with it.
    return Effect.zipRight(Effect.exit(job), loop)
  })

  const start = (): void => {
    workers++
    options.fork(worker)
  }

  // A handler's deadline interrupts the worker that runs it: the worker then ends here, and another takes the jobs
  // left (once per worker, not per job).
  const worker: Effect.Effect<void> = Effect.ensuring(loop, Effect.sync(() => {
    workers--
    if (!closed && jobs.length > 0 && workers < options.concurrency) start()
  }))

  const trySubmit = (job: Effect.Effect<void>): boolean => {
    // After the end, jobs are dropped (the peer's handlers are stopped anyway).
    if (closed) return true
    if (jobs.length >= options.queueSize) return false
    jobs.push(job)
    if (workers < options.concurrency) start()
    return true
  }

  const room: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (closed || jobs.length < options.queueSize) return resume(Effect.void)
    waiting.push(() => resume(Effect.void))
  })

  const submit = (job: Effect.Effect<void>): Effect.Effect<void> =>
    Effect.suspend(() => (trySubmit(job) ? Effect.void : Effect.zipRight(room, submit(job))))

  return {
    submit,
    trySubmit,
    close: () => {
      closed = true
      jobs.length = 0
      const wake = waiting
      waiting = []
      for (const resume of wake) resume()
    }
  }
}
