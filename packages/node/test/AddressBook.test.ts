import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Option, TestClock } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as AddressBook from "../src/AddressBook.js"
import { AddrMan } from "../src/internal/addrman/AddrMan.js"
import { AddrRandom } from "../src/internal/addrman/random.js"
import { decodeAddressBookFile } from "../src/internal/addressBookFile.js"

const tempDir = () => mkdtempSync(join(tmpdir(), "peerwire-ab-"))
const NOW = 1_800_000_000

// Public-looking hosts in many /16 groups (private ranges are refused by default, like the reference).
const hostArb = fc.tuple(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 }))
  .map(([a, b, c]) => `${a}.${b}.7.${c}`)
const opArb = fc.oneof(
  fc.record({ op: fc.constant("add" as const), host: hostArb, source: hostArb, age: fc.integer({ min: 0, max: 40 * 86400 }) }),
  fc.record({ op: fc.constant("good" as const), host: hostArb }),
  fc.record({ op: fc.constant("attempt" as const), host: hostArb, count: fc.boolean() }),
  fc.record({ op: fc.constant("select" as const), newOnly: fc.boolean() }),
  fc.record({ op: fc.constant("resolve" as const) })
)

describe("AddrMan invariants", () => {
  it("hold after any sequence of operations", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), fc.array(fc.integer(), { minLength: 4, maxLength: 4 }), (ops, seed) => {
        const book = new AddrMan(new Uint8Array(32).fill(7), new AddrRandom(seed))
        let now = NOW
        for (const o of ops) {
          now += 13
          if (o.op === "add") book.add({ host: o.host, port: 8444, timestamp: now - o.age }, { host: o.source, port: 8444 }, 0, now)
          else if (o.op === "good") book.markGood({ host: o.host, port: 8444 }, true, now)
          else if (o.op === "attempt") book.attempt({ host: o.host, port: 8444 }, o.count, now)
          else if (o.op === "select") {
            const picked = book.select(o.newOnly, now)
            if (picked !== undefined) expect(book.find(picked.address)).toBe(picked)
          } else book.resolveCollisions(now)
        }
        expect(book.checkInvariants()).toEqual([])
        expect(book.size).toBe(book.newCount + book.triedCount)
      }),
      { numRuns: 60 }
    )
  })

  it("refuses private addresses unless allowed", () => {
    const strict = new AddrMan(new Uint8Array(32), new AddrRandom([1, 2, 3, 4]))
    expect(strict.add({ host: "127.0.0.1", port: 8444, timestamp: NOW }, undefined, 0, NOW)).toBe(false)
    expect(strict.add({ host: "192.168.1.5", port: 8444, timestamp: NOW }, undefined, 0, NOW)).toBe(false)
    expect(strict.add({ host: "fe80::1", port: 8444, timestamp: NOW }, undefined, 0, NOW)).toBe(false)
    expect(strict.add({ host: "8.8.4.4", port: 8444, timestamp: NOW }, undefined, 0, NOW)).toBe(true)
    const open = new AddrMan(new Uint8Array(32), new AddrRandom([1, 2, 3, 4]), true)
    expect(open.add({ host: "127.0.0.1", port: 8444, timestamp: NOW }, undefined, 0, NOW)).toBe(true)
  })

  it("limits one source group to its 64 new buckets", () => {
    const book = new AddrMan(new Uint8Array(32).fill(3), new AddrRandom([5, 6, 7, 8]))
    const buckets = new Set<number>()
    for (let i = 0; i < 3000; i++) {
      const host = `${1 + (i % 200)}.${i % 251}.1.${1 + (i % 250)}`
      const entry = { address: { host, port: 8444 }, source: { host: "50.50.1.1", port: 8444 } }
      buckets.add(book.newBucket(entry as never, entry.source))
    }
    expect(buckets.size).toBeLessThanOrEqual(64)
  })

  it("marks terrible entries like the reference", () => {
    const book = new AddrMan(new Uint8Array(32), new AddrRandom([1, 1, 1, 1]))
    book.add({ host: "9.9.9.9", port: 8444, timestamp: NOW - 100 }, undefined, 0, NOW)
    const entry = book.find({ host: "9.9.9.9", port: 8444 })!
    expect(book.isTerrible(entry, NOW)).toBe(false)
    for (let i = 0; i < 3; i++) book.attempt(entry.address, true, NOW + i)
    // Failures count once per success anywhere: only the first attempt counted.
    expect(entry.attempts).toBe(1)
    expect(book.isTerrible(entry, NOW + 30 * 86400 + 1000)).toBe(true)
    expect(book.selectionChance(entry, NOW + 10)).toBeCloseTo(0.01 * 0.66, 5)
  })

  it("shares at most 23% of known addresses", () => {
    const book = new AddrMan(new Uint8Array(32).fill(9), new AddrRandom([9, 9, 9, 9]))
    for (let i = 0; i < 400; i++) book.add({ host: `${20 + (i % 60)}.${i}.3.4`, port: 8444, timestamp: NOW }, { host: `${i % 90 + 1}.1.1.1`, port: 8444 }, 0, NOW)
    const sample = book.sample(NOW)
    expect(sample.length).toBeLessThanOrEqual(Math.ceil(0.23 * book.size))
    expect(sample.length).toBeGreaterThan(0)
  })
})

describe("AddressBook service", () => {
  it.effect("persists and restores across restarts", () =>
    Effect.gen(function* () {
      const path = join(tempDir(), "peers.json")
      yield* TestClock.setTime(NOW * 1000)
      const first = yield* AddressBook.make({ path })
      for (let i = 0; i < 50; i++) {
        yield* first.add([{ host: `${30 + i}.1.2.3`, port: 8444, timestamp: NOW - 60 }], { host: "40.4.4.4", port: 8444 })
      }
      yield* first.markGood({ host: "30.1.2.3", port: 8444 })
      yield* first.flush
      const before = yield* first.entries
      const second = yield* AddressBook.make({ path })
      const after = yield* second.entries
      expect(after.length).toBe(before.length)
      const byHost = new Map(after.map((e) => [e.address.host, e]))
      for (const e of before) {
        const restored = byHost.get(e.address.host)!
        expect(restored.timestamp).toBe(e.timestamp)
        expect(restored.lastSuccess).toBe(e.lastSuccess)
      }
      expect(byHost.get("30.1.2.3")!.isTried).toBe(true)
      expect(Option.isSome(yield* second.select())).toBe(true)
    })
  )

  it.effect("moves a corrupt file aside and starts empty", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const path = join(dir, "peers.json")
      writeFileSync(path, "{ this is not json")
      const book = yield* AddressBook.make({ path })
      expect(yield* book.size).toBe(0)
      expect(readdirSync(dir).some((f) => f.startsWith("peers.json.corrupt-"))).toBe(true)
    })
  )

  it("survives kill -9 in the middle of writes", async () => {
    const dir = tempDir()
    const path = join(dir, "peers.json")
    const atomic = pathToFileURL(join(import.meta.dirname, "../src/internal/atomicFile.ts")).href
    const scriptPath = join(dir, "writer.ts")
    // A child rewrites a large book in a tight loop; it is killed at several moments, and the file must always parse.
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(atomic)}
      let i = 0
      for (;;) {
        const entries = Array.from({ length: 20000 }, (_, j) => ({ address: { host: "1.2.3." + (j % 250), port: 8444 }, source: { host: "1.1.1.1", port: 8444 }, timestamp: i, lastTry: 0, lastSuccess: 0, attempts: 0, tried: false }))
        await writeFileAtomic(${JSON.stringify(path)}, JSON.stringify({ version: 1, key: "${"ab".repeat(32)}", entries }))
        i++
        if (i === 1) process.send?.("written")
      }`
    writeFileSync(scriptPath, script)
    const viteNode = join(import.meta.dirname, "../../../node_modules/vite-node/vite-node.mjs")
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [viteNode, scriptPath], {
        stdio: ["ignore", "ignore", "inherit", "ipc"]
      })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("child never wrote")), 20_000)
        child.once("message", () => {
          clearTimeout(timer)
          resolve()
        })
      })
      await new Promise((r) => setTimeout(r, 20 + round * 37))
      child.kill("SIGKILL")
      await new Promise((r) => child.once("exit", r))
      const decoded = decodeAddressBookFile(readFileSync(path, "utf8"))
      expect(decoded._tag).toBe("Right")
    }
  }, 60_000)
})

describe("AddrMan keyed by endpoint (devnets on one IP)", () => {
  it("keeps every port of one IP, spread over many buckets", () => {
    const book = new AddrMan(new Uint8Array(32).fill(4), new AddrRandom([3, 1, 4, 1]), true, true)
    const source = { host: "127.0.0.1", port: 9000 }
    for (let port = 10000; port < 10040; port++) book.add({ host: "127.0.0.1", port, timestamp: NOW }, source, 0, NOW)
    expect(book.size).toBe(40)
    const buckets = new Set(book.entries().map((e) => book.newBucket(e, source)))
    expect(buckets.size).toBeGreaterThan(10)
    expect(book.checkInvariants()).toEqual([])
  })
})
