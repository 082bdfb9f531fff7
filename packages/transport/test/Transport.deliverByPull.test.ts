// `deliverByPull` (push delivery on top of a pull read) against a fake `take` fed from a queue.
import { assert, describe, expect, it } from "@effect/vitest"
import type { Duration } from "effect"
import { Effect, Exit, Queue, Ref, Scope, TestClock, TestServices } from "effect"
import type { FrameDelivery } from "../src/Transport.js"
import { deliverByPull, TransportError } from "../src/Transport.js"
import { PushRecorder } from "./pushRecorder.js"

type Read = Exit.Exit<ReadonlyArray<Uint8Array>, TransportError>

const frame = (n: number): Uint8Array => new Uint8Array([n, 0xa5])
const batch = (...numbers: Array<number>): Read => Exit.succeed(numbers.map(frame))
const END: Read = Exit.succeed([])
const numbersOf = (frames: ReadonlyArray<Uint8Array>): ReadonlyArray<number> => frames.map((f) => f[0]!)

/** A fake `take`: each read takes the next result from a queue (waiting while there is none) and is counted. */
const fakeTake = Effect.gen(function*() {
  const queue = yield* Queue.unbounded<Read>()
  const reads = yield* Ref.make(0)
  const interrupted = yield* Ref.make(false)
  const take = Effect.zipRight(Ref.update(reads, (n) => n + 1), Effect.flatten(Queue.take(queue))).pipe(
    Effect.onInterrupt(() => Ref.set(interrupted, true))
  )
  return {
    take,
    feed: (...results: Array<Read>) => Queue.offerAll(queue, results),
    reads: Ref.get(reads),
    interrupted: Ref.get(interrupted)
  }
})

/** Bounds a wait on the pump fiber in real time (nothing here sleeps on the clock). */
const bounded = <A, E>(self: Effect.Effect<A, E>, what: string, duration: Duration.DurationInput = "5 seconds") =>
  TestServices.provideLive(Effect.timeoutFail(self, {
    duration,
    onTimeout: () => new Error(`${what}: not done within ${String(duration)}`)
  }))

/** Lets the pump fiber run until it waits (for a read or a `resume`). */
const flush = TestClock.adjust(0)

const resume = (delivery: FrameDelivery) => Effect.sync(() => delivery.resume())

const noFailure = (cause: unknown) => Effect.die(new Error(`unexpected consumer failure: ${String(cause)}`))

describe("deliverByPull", () => {
  it.scoped("hands every frame over in order, batch after batch, then onEnd(undefined) once at the empty batch", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const recorder = new PushRecorder()
      yield* deliverByPull(source.take, recorder.consumer, noFailure)
      yield* source.feed(batch(0, 1, 2), batch(3), batch(4, 5), END)
      expect(yield* bounded(recorder.ended, "the end")).toBeUndefined()
      // A result fed after the end is never read.
      yield* source.feed(batch(6))
      yield* flush
      expect(numbersOf(recorder.frames)).toEqual([0, 1, 2, 3, 4, 5])
      expect(recorder.framesAtEnd).toBe(6)
      expect(recorder.ends).toEqual([undefined])
      expect(recorder.lateFrames).toBe(0)
      expect(yield* source.reads).toBe(4)
    }))

  it.scoped("pauses when onFrame says false, mid-batch, and carries on where it stopped after resume", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const recorder = new PushRecorder((index) => (index === 1 || index === 4 ? "pause" : "take"))
      const delivery = yield* deliverByPull(source.take, recorder.consumer, noFailure)
      yield* resume(delivery) // not paused: nothing to do
      yield* source.feed(batch(0, 1, 2), batch(3, 4))
      yield* bounded(recorder.awaitFrames(2), "frames up to the first pause")
      yield* source.feed(batch(5))
      yield* flush
      expect(numbersOf(recorder.frames)).toEqual([0, 1])
      // Paused: the rest of the batch waits, and nothing more is read.
      expect(yield* source.reads).toBe(1)
      yield* resume(delivery)
      yield* bounded(recorder.awaitFrames(5), "frames up to the second pause")
      yield* flush
      expect(numbersOf(recorder.frames)).toEqual([0, 1, 2, 3, 4])
      expect(yield* source.reads).toBe(2)
      yield* resume(delivery)
      yield* resume(delivery)
      yield* bounded(recorder.awaitFrames(6), "the last frame")
      yield* flush
      expect(numbersOf(recorder.frames)).toEqual([0, 1, 2, 3, 4, 5])
      // Waiting for the next read, which will not come.
      expect(yield* source.reads).toBe(4)
      expect(recorder.ends).toEqual([])
    }))

  it.scoped("a consumer paused on the last frame gets onEnd only after resume", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const recorder = new PushRecorder((index) => (index === 1 ? "pause" : "take"))
      const delivery = yield* deliverByPull(source.take, recorder.consumer, noFailure)
      yield* source.feed(batch(0, 1), END)
      yield* bounded(recorder.awaitFrames(2), "frames up to the pause")
      yield* flush
      expect(recorder.ends).toEqual([])
      yield* resume(delivery)
      expect(yield* bounded(recorder.ended, "the end after resume")).toBeUndefined()
      expect(recorder.framesAtEnd).toBe(2)
    }))

  it.scoped("a failed read ends delivery with its error, after the frames read before it", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const recorder = new PushRecorder()
      const error = new TransportError({ reason: "ConnectionLost", message: "the link died (test)" })
      yield* deliverByPull(source.take, recorder.consumer, noFailure)
      yield* source.feed(batch(0, 1), Exit.fail(error), batch(2))
      expect(yield* bounded(recorder.ended, "the end")).toBe(error)
      yield* flush
      expect(numbersOf(recorder.frames)).toEqual([0, 1])
      expect(recorder.framesAtEnd).toBe(2)
      expect(recorder.ends.length).toBe(1)
      expect(yield* source.reads).toBe(2)
    }))

  it.scoped("a throwing consumer: onConsumerFailure gets the cause once; nothing more is handed over or read", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const recorder = new PushRecorder((index) => (index === 1 ? "throw" : "take"))
      const failures = yield* Ref.make<ReadonlyArray<unknown>>([])
      const onFailure = (cause: unknown) => Ref.update(failures, (all) => [...all, cause])
      yield* deliverByPull(source.take, recorder.consumer, onFailure)
      yield* source.feed(batch(0, 1, 2), batch(3), END)
      yield* bounded(recorder.awaitFrames(2), "frames up to the throw")
      yield* flush
      const seen = yield* Ref.get(failures)
      expect(seen.length).toBe(1)
      assert(seen[0] === recorder.failure, "onConsumerFailure gets what onFrame threw")
      expect(numbersOf(recorder.frames)).toEqual([0, 1])
      expect(recorder.ends).toEqual([])
      expect(yield* source.reads).toBe(1)
    }))

  it.scoped("the pump runs in the Scope it is given and stops when that Scope closes", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const recorder = new PushRecorder()
      const scope = yield* Scope.make()
      yield* deliverByPull(source.take, recorder.consumer, noFailure).pipe(Scope.extend(scope))
      yield* source.feed(batch(0))
      yield* bounded(recorder.awaitFrames(1), "the first frame")
      yield* flush
      // The pump waits in a read; closing its Scope interrupts it, and nothing comes after.
      expect(yield* source.reads).toBe(2)
      yield* Scope.close(scope, Exit.void)
      expect(yield* source.interrupted).toBe(true)
      yield* source.feed(batch(1), END)
      yield* flush
      expect(numbersOf(recorder.frames)).toEqual([0])
      expect(recorder.ends).toEqual([])
    }))

  it.scoped("a resume called inside onFrame cancels the pause that call asks for", () =>
    Effect.gen(function*() {
      const source = yield* fakeTake
      const seen: Array<number> = []
      let delivery: FrameDelivery | undefined
      // Frame 1 "pauses for work that finished at once": it resumes, then answers false.
      const consumer = {
        onFrame: (f: Uint8Array): boolean => {
          seen.push(f[0]!)
          if (f[0] !== 1) return true
          delivery!.resume()
          return false
        },
        onEnd: () => {}
      }
      delivery = yield* deliverByPull(source.take, consumer, noFailure)
      yield* source.feed(batch(0, 1, 2), batch(3))
      yield* flush
      expect(seen).toEqual([0, 1, 2, 3])
    }))
})
