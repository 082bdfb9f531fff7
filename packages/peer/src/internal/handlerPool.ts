/**
 * Runs inbound handlers with bounded concurrency without a fork per message: one worker waits on the job queue for
 * good, extra workers (up to `concurrency` in all) are started only while jobs wait and every worker is busy, and they
 * end as soon as the queue is empty. Jobs start in submission order; a full queue makes `submit` wait (back-pressure
 * up to the reader, and from there to the transport). `trySubmit` is the synchronous form for the push reader.
 */
import { Effect, FiberSet, Option, Queue, Runtime } from "effect"
import type { Scope } from "effect"

export interface HandlerPool {
  readonly submit: (job: Effect.Effect<void>) => Effect.Effect<void>
  /** Queues `job` now when there is room (starting a worker if needed): `false` when the queue is full. */
  readonly trySubmit: (job: Effect.Effect<void>) => boolean
}

export const makeHandlerPool = (options: {
  readonly concurrency: number
  readonly queueSize: number
  readonly fibers: FiberSet.FiberSet
}): Effect.Effect<HandlerPool, never, Scope.Scope> =>
  Effect.gen(function*() {
    const jobs = yield* Queue.bounded<Effect.Effect<void>>(options.queueSize)
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    let workers = 1
    // Workers blocked in `take` that no submitted job has claimed yet.
    let idle = 0

    const steady: Effect.Effect<never> = Effect.forever(
      Effect.suspend(() => {
        idle++
        return Effect.flatten(Queue.take(jobs))
      })
    )
    const extra: Effect.Effect<void> = Effect.flatMap(
      Queue.poll(jobs),
      Option.match({
        onNone: () =>
          Effect.sync(() => {
            workers--
          }),
        onSome: (job) => Effect.zipRight(job, extra)
      })
    )
    yield* FiberSet.run(options.fibers, steady)

    // After a job was queued: whether an extra worker must start for it.
    const needsWorker = (): boolean => {
      if (idle > 0) {
        idle--
        return false
      }
      if (workers >= options.concurrency) return false
      workers++
      return true
    }

    return {
      submit: (job) =>
        Effect.suspend(() => {
          const queued = jobs.unsafeOffer(job) ? Effect.void : Queue.offer(jobs, job)
          return needsWorker() ? Effect.zipRight(queued, FiberSet.run(options.fibers, extra)) : queued
        }),
      trySubmit: (job) => {
        if (!jobs.unsafeOffer(job)) return false
        if (needsWorker()) FiberSet.unsafeAdd(options.fibers, runFork(extra))
        return true
      }
    }
  })
