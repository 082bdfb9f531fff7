/**
 * A small seeded PRNG (sfc32) for the address manager's many random choices. Seeded from Effect's `Random` service by the
 * caller, so tests with `TestRandom` are reproducible. Not for cryptography.
 */
export class AddrRandom {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: ReadonlyArray<number>) {
    this.a = seed[0]! >>> 0
    this.b = seed[1]! >>> 0
    this.c = seed[2]! >>> 0
    this.d = (seed[3]! >>> 0) || 1
    for (let i = 0; i < 12; i++) this.next()
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, n), n ≤ 2^32. */
  below(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n)
  }

  /** `bits` random bits (≤ 30). */
  bits(bits: number): number {
    return this.next() >>> (32 - bits)
  }
}
