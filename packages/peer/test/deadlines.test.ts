import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Runtime, TestClock } from "effect"
import { makeDeadlines } from "../src/internal/deadlines.js"
import { makePendingRequests } from "../src/internal/pendingRequests.js"
import { makeRequestIds } from "../src/internal/requestIds.js"
import { DIALER_IDS } from "../src/chia/ChiaFamily.js"

// Deadlines on the test's clock, their timer fiber forked in the test's runtime.
const testDeadlines = Effect.gen(function*() {
  const clock = yield* Effect.clock
  const runFork = Runtime.runFork(yield* Effect.runtime<never>())
  const now = () => clock.unsafeCurrentTimeMillis()
  return { now, deadlines: makeDeadlines(now, (effect) => runFork(effect)) }
})

describe("deadlines", () => {
  it.effect("fire in time order, each once, at their time", () =>
    Effect.gen(function*() {
      const { deadlines } = yield* testDeadlines
      const fired: Array<string> = []
      deadlines.add(300, () => fired.push("c"))
      deadlines.add(100, () => fired.push("a"))
      deadlines.add(200, () => fired.push("b"))
      yield* TestClock.adjust(99)
      assert.deepStrictEqual(fired, [])
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(fired, ["a"])
      yield* TestClock.adjust(1000)
      assert.deepStrictEqual(fired, ["a", "b", "c"])
      assert.strictEqual(deadlines.size(), 0)
    }))

  it.effect("a removed deadline never fires; removing twice or after expiry is harmless", () =>
    Effect.gen(function*() {
      const { deadlines } = yield* testDeadlines
      const fired: Array<string> = []
      const a = deadlines.add(100, () => fired.push("a"))
      const b = deadlines.add(200, () => fired.push("b"))
      deadlines.remove(a)
      deadlines.remove(a)
      yield* TestClock.adjust(250)
      deadlines.remove(b)
      assert.deepStrictEqual(fired, ["b"])
      assert.strictEqual(deadlines.size(), 0)
    }))

  it.effect("an earlier deadline added later re-arms the timer; an expiry may add the next one", () =>
    Effect.gen(function*() {
      const { deadlines } = yield* testDeadlines
      const fired: Array<number> = []
      deadlines.add(10_000, () => fired.push(10_000))
      deadlines.add(50, () => {
        fired.push(50)
        deadlines.add(80, () => fired.push(80))
      })
      yield* TestClock.adjust(50)
      assert.deepStrictEqual(fired, [50])
      yield* TestClock.adjust(30)
      assert.deepStrictEqual(fired, [50, 80])
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(fired, [50, 80, 10_000])
    }))

  it.effect("any mix of adds and removes fires exactly the deadlines left, in time order", () =>
    Effect.gen(function*() {
      const ops = FastCheck.array(
        FastCheck.tuple(FastCheck.integer({ min: 1, max: 1_000 }), FastCheck.boolean()),
        { maxLength: 200 }
      )
      for (const sample of FastCheck.sample(ops, { numRuns: 30, seed: 7 })) {
        const { deadlines, now } = yield* testDeadlines
        const start = now()
        const fired: Array<number> = []
        const expected: Array<number> = []
        sample.forEach(([offset, keep], index) => {
          const entry = deadlines.add(start + offset, () => fired.push(index))
          if (keep) expected.push(index)
          else deadlines.remove(entry)
        })
        assert.strictEqual(deadlines.size(), expected.length)
        yield* TestClock.adjust(1_001)
        // Ties fire in any order; compare as times, then as sets.
        const timeOf = (index: number) => sample[index]![0]
        assert.deepStrictEqual(fired.map(timeOf), expected.map(timeOf).sort((a, b) => a - b))
        assert.deepStrictEqual([...fired].sort((a, b) => a - b), expected)
        assert.strictEqual(deadlines.size(), 0)
      }
    }))
})

describe("pending requests", () => {
  it.effect("ids that share a slot grow the table; every entry is found by its id", () =>
    Effect.gen(function*() {
      const { deadlines, now } = yield* testDeadlines
      const pending = makePendingRequests(makeRequestIds(DIALER_IDS), deadlines, now, () => {})
      // 0 stays pending while the ids walk far past the table's first size.
      const first = pending.open(1, "a", 60_000, now() + 60_000)!
      const later = Array.from({ length: 300 }, () => pending.open(1, "a", 60_000, now() + 60_000)!)
      for (const entry of later.slice(0, 299)) assert.strictEqual(pending.take(entry.id), entry)
      assert.strictEqual(pending.size(), 2)
      assert.strictEqual(pending.take(first.id), first)
      assert.strictEqual(pending.take(first.id), undefined)
      assert.strictEqual(pending.take(later[299]!.id), later[299])
      assert.strictEqual(pending.size(), 0)
    }))

  it.effect("each request expires at its own deadline, a short one behind a long one too", () =>
    Effect.gen(function*() {
      const { deadlines, now } = yield* testDeadlines
      const expired: Array<string> = []
      const pending = makePendingRequests(makeRequestIds(DIALER_IDS), deadlines, now, (entry) => {
        pending.expire(entry, 0)
        expired.push(entry.name)
      })
      pending.open(1, "long", 60_000, now() + 60_000)
      pending.open(1, "short", 5_000, now() + 5_000)
      const answered = pending.open(1, "answered", 1_000, now() + 1_000)!
      pending.take(answered.id)
      yield* TestClock.adjust(4_999)
      assert.deepStrictEqual(expired, [])
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(expired, ["short"])
      yield* TestClock.adjust(55_000)
      assert.deepStrictEqual(expired, ["short", "long"])
      assert.strictEqual(pending.size(), 0)
    }))

  it.effect("drain hands over every pending entry and disarms the check", () =>
    Effect.gen(function*() {
      const { deadlines, now } = yield* testDeadlines
      let expirations = 0
      const pending = makePendingRequests(makeRequestIds(DIALER_IDS), deadlines, now, () => expirations++)
      const opened = [1, 2, 3].map(() => pending.open(1, "a", 100, now() + 100)!)
      assert.deepStrictEqual(pending.drain().map((e) => e.id).sort(), opened.map((e) => e.id).sort())
      yield* TestClock.adjust(1_000)
      assert.strictEqual(expirations, 0)
      assert.strictEqual(deadlines.size(), 0)
    }))
})
