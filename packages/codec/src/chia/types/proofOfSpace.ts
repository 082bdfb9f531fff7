/**
 * `ProofOfSpace` (chia_rs `proof_of_space.rs`, custom encoding, chia-messages §D.3) and `PartialProof`.
 *
 * Wire: challenge, pool_public_key (Optional), prefix `(version << 1) | contract-hash-present`,
 * [pool_contract_puzzle_hash], plot_public_key, then `size` (version 0) or `plot_index u16, meta_group u8, strength u8` (version 1), then proof.
 * The value holds every logical field; those a version does not carry are 0.
 */
import { Arbitrary, Schema } from "effect"
import type { Codec, Json, TypeOf } from "../../Codec.js"
import { fixedArray, optional, struct } from "../../Combinators.js"
import { fail } from "../../internal/failure.js"
import { toHex } from "../../internal/hex.js"
import { bytes, bytes32, G1Element, uint16, uint64, uint8 } from "../../Primitives.js"
import { isRecord, jsonField, readPrefix, rejectUnknownKeys, rethrowWithin } from "./packed.js"

const fields = {
  challenge: bytes32.schema,
  pool_public_key: Schema.UndefinedOr(G1Element.schema),
  pool_contract_puzzle_hash: Schema.UndefinedOr(bytes32.schema),
  plot_public_key: G1Element.schema,
  version: uint8.schema,
  plot_index: uint16.schema,
  meta_group: uint8.schema,
  strength: uint8.schema,
  size: uint8.schema,
  proof: bytes.schema
}

export interface ProofOfSpace extends Schema.Struct.Type<typeof fields> {}

const KEYS = Object.keys(fields)

/** Why `pos` cannot be encoded (chia_rs's parse rules, plus "no logical field is lost"), or `undefined`. */
export const proofOfSpaceProblem = (pos: ProofOfSpace): string | undefined => {
  if (pos.version === 0) {
    if (pos.plot_index !== 0 || pos.meta_group !== 0 || pos.strength !== 0) {
      return "version 0 carries no plot_index/meta_group/strength (they must be 0)"
    }
    return undefined
  }
  if (pos.version === 1) {
    if (pos.size !== 0) return "version 1 carries no size (it must be 0)"
    if ((pos.pool_public_key === undefined) === (pos.pool_contract_puzzle_hash === undefined)) {
      return "version 1 needs exactly one of pool_public_key and pool_contract_puzzle_hash"
    }
    return undefined
  }
  return `version must be 0 or 1, got ${pos.version}`
}

const poolKey = optional(G1Element)
const CHALLENGE = 32
const PLOT_KEY = 48

const schema: Schema.Schema<ProofOfSpace> = Schema.Struct(fields).pipe(
  Schema.filter((pos) => proofOfSpaceProblem(pos) ?? true),
  Schema.annotations({
    identifier: "ProofOfSpace",
    arbitrary: () => (fc) => {
      const b32 = Arbitrary.make(bytes32.schema)
      const g1 = Arbitrary.make(G1Element.schema)
      const common = { challenge: b32, plot_public_key: g1, proof: Arbitrary.make(bytes.schema) }
      const v0 = fc.record({
        ...common,
        pool_public_key: fc.option(g1, { nil: undefined }),
        pool_contract_puzzle_hash: fc.option(b32, { nil: undefined }),
        version: fc.constant(0),
        plot_index: fc.constant(0),
        meta_group: fc.constant(0),
        strength: fc.constant(0),
        size: fc.integer({ min: 0, max: 0xff })
      })
      const pool = fc.oneof(
        g1.map((key) => ({ pool_public_key: key as Uint8Array | undefined, pool_contract_puzzle_hash: undefined })),
        b32.map((hash) => ({ pool_public_key: undefined, pool_contract_puzzle_hash: hash as Uint8Array | undefined }))
      )
      const v1 = fc
        .record({
          ...common,
          version: fc.constant(1),
          plot_index: fc.integer({ min: 0, max: 0xffff }),
          meta_group: fc.integer({ min: 0, max: 0xff }),
          strength: fc.integer({ min: 0, max: 0xff }),
          size: fc.constant(0)
        })
        .chain((rest) => pool.map((p) => ({ ...rest, ...p })))
      // Key order as the reference's JSON, so generated values print like decoded ones.
      return fc.oneof(v0, v1).map((pos) => {
        const out: Record<string, unknown> = {}
        for (const key of KEYS) out[key] = pos[key as keyof typeof pos]
        return out as unknown as ProofOfSpace
      })
    }
  })
)

export const ProofOfSpace: Codec<ProofOfSpace> = {
  name: "ProofOfSpace",
  fixedSize: undefined,
  minSize: CHALLENGE + 1 + 1 + PLOT_KEY + 1 + 4,
  schema,
  sizeOf(pos) {
    return (
      CHALLENGE +
      poolKey.sizeOf(pos.pool_public_key) +
      1 +
      (pos.pool_contract_puzzle_hash === undefined ? 0 : 32) +
      PLOT_KEY +
      (pos.version === 0 ? 1 : 4) +
      bytes.sizeOf(pos.proof)
    )
  },
  write(c, pos) {
    if (!isRecord(pos)) fail("InvalidValue", c.offset, "expected a ProofOfSpace object")
    const problem = proofOfSpaceProblem(pos)
    if (problem !== undefined) fail("InvalidValue", c.offset, `ProofOfSpace: ${problem}`)
    let at = "challenge"
    try {
      bytes32.write(c, pos.challenge)
      at = "pool_public_key"
      poolKey.write(c, pos.pool_public_key)
      at = "pool_contract_puzzle_hash"
      const contract = pos.pool_contract_puzzle_hash
      c.bytes[c.take(1)] = (pos.version << 1) | (contract === undefined ? 0 : 1)
      if (contract !== undefined) bytes32.write(c, contract)
      at = "plot_public_key"
      G1Element.write(c, pos.plot_public_key)
      if (pos.version === 0) {
        at = "size"
        uint8.write(c, pos.size)
      } else {
        at = "plot_index"
        uint16.write(c, pos.plot_index)
        at = "meta_group"
        uint8.write(c, pos.meta_group)
        at = "strength"
        uint8.write(c, pos.strength)
      }
      at = "proof"
      bytes.write(c, pos.proof)
    } catch (e) {
      rethrowWithin(e, at)
    }
  },
  read(c) {
    let at = "challenge"
    try {
      const challenge = bytes32.read(c)
      at = "pool_public_key"
      const pool_public_key = poolKey.read(c)
      at = "pool_contract_puzzle_hash"
      const prefixAt = c.offset
      const prefix = readPrefix(c, 3, "ProofOfSpace version")
      const version = prefix >> 1
      const pool_contract_puzzle_hash = prefix & 1 ? bytes32.read(c) : undefined
      if (version === 1 && (pool_public_key === undefined) === (pool_contract_puzzle_hash === undefined)) {
        fail("InvalidValue", prefixAt, "version 1 needs exactly one of pool_public_key and pool_contract_puzzle_hash")
      }
      at = "plot_public_key"
      const plot_public_key = G1Element.read(c)
      let plot_index = 0
      let meta_group = 0
      let strength = 0
      let size = 0
      if (version === 0) {
        at = "size"
        size = uint8.read(c)
      } else {
        at = "plot_index"
        plot_index = uint16.read(c)
        at = "meta_group"
        meta_group = uint8.read(c)
        at = "strength"
        strength = uint8.read(c)
      }
      at = "proof"
      const proof = bytes.read(c)
      return {
        challenge,
        pool_public_key,
        pool_contract_puzzle_hash,
        plot_public_key,
        version,
        plot_index,
        meta_group,
        strength,
        size,
        proof
      }
    } catch (e) {
      return rethrowWithin(e, at)
    }
  },
  toJson(pos): Json {
    return {
      challenge: toHex(pos.challenge),
      pool_public_key: pos.pool_public_key === undefined ? null : toHex(pos.pool_public_key),
      pool_contract_puzzle_hash:
        pos.pool_contract_puzzle_hash === undefined ? null : toHex(pos.pool_contract_puzzle_hash),
      plot_public_key: toHex(pos.plot_public_key),
      version: pos.version,
      plot_index: pos.plot_index,
      meta_group: pos.meta_group,
      strength: pos.strength,
      size: pos.size,
      proof: toHex(pos.proof)
    }
  },
  fromJson(json) {
    if (!isRecord(json)) return fail("InvalidJson", -1, "expected an object for ProofOfSpace")
    rejectUnknownKeys(json, KEYS, "ProofOfSpace")
    const field = <A>(key: keyof ProofOfSpace, codec: Codec<A>): A =>
      jsonField(json, key, "ProofOfSpace", (u) => codec.fromJson(u))
    const pos: ProofOfSpace = {
      challenge: field("challenge", bytes32),
      pool_public_key: field("pool_public_key", poolKey),
      pool_contract_puzzle_hash: field("pool_contract_puzzle_hash", optional(bytes32)),
      plot_public_key: field("plot_public_key", G1Element),
      version: field("version", uint8),
      plot_index: field("plot_index", uint16),
      meta_group: field("meta_group", uint8),
      strength: field("strength", uint8),
      size: field("size", uint8),
      proof: field("proof", bytes)
    }
    const problem = proofOfSpaceProblem(pos)
    return problem === undefined ? pos : fail("InvalidJson", -1, `ProofOfSpace: ${problem}`)
  }
}

/** 16 fragments of a v2 partial proof, concatenated with no count. */
export const PartialProof = struct("PartialProof", { fragments: fixedArray(uint64, 16) })
export type PartialProof = TypeOf<typeof PartialProof>
