import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as BanList from "../src/BanList.js"

describe("BanList", () => {
  it.effect("bans by IP, keeps the later expiry, expires on the clock", () =>
    Effect.gen(function* () {
      const bans = yield* BanList.make()
      expect(yield* bans.ban("8.8.8.8", 300, "rate limit")).toBe(true)
      yield* bans.ban("8.8.8.8", 10, "protocol")
      expect(yield* bans.isBanned("::ffff:8.8.8.8")).toBe(true)
      yield* TestClock.adjust("299 seconds")
      expect(yield* bans.isBanned("8.8.8.8")).toBe(true)
      yield* TestClock.adjust("2 seconds")
      expect(yield* bans.isBanned("8.8.8.8")).toBe(false)
      expect(yield* bans.list).toEqual([])
    })
  )

  it.effect("never bans localhost or trusted networks", () =>
    Effect.gen(function* () {
      const bans = yield* BanList.make({ trustedNetworks: ["44.0.0.0/8", "2001:db8::1"] })
      expect(yield* bans.ban("127.0.0.1", 300, "x")).toBe(false)
      expect(yield* bans.ban("::1", 300, "x")).toBe(false)
      expect(yield* bans.ban("44.3.2.1", 300, "x")).toBe(false)
      expect(yield* bans.ban("2001:db8::1", 300, "x")).toBe(false)
      expect(yield* bans.ban("45.3.2.1", 300, "x")).toBe(true)
      // Like the reference, only 127.0.0.1 itself is local: other loopback addresses can be banned.
      expect(yield* bans.ban("127.0.0.2", 300, "x")).toBe(true)
      const strict = yield* BanList.make({ exemptLocalhost: false })
      expect(yield* strict.ban("127.0.0.1", 10, "x")).toBe(true)
    })
  )

  it.effect("persists across restarts", () =>
    Effect.gen(function* () {
      const path = join(mkdtempSync(join(tmpdir(), "peerwire-ban-")), "bans.json")
      yield* TestClock.setTime(1_000_000)
      const first = yield* BanList.make({ path })
      yield* first.ban("9.9.9.9", 600, "consensus")
      yield* first.flush
      const second = yield* BanList.make({ path })
      expect(yield* second.isBanned("9.9.9.9")).toBe(true)
      expect((yield* second.list)[0]!.reason).toBe("consensus")
    })
  )
})
