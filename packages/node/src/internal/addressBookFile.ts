/** The address book's file: versioned JSON, validated with Schema when read. */
import { Schema } from "effect"

export const ADDRESS_BOOK_FILE_VERSION = 1

const Address = Schema.Struct({ host: Schema.String, port: Schema.Int.pipe(Schema.between(0, 65535)) })
const Seconds = Schema.Int.pipe(Schema.nonNegative())

export const SavedEntry = Schema.Struct({
  address: Address,
  source: Address,
  timestamp: Seconds,
  lastTry: Seconds,
  lastSuccess: Seconds,
  attempts: Schema.Int.pipe(Schema.nonNegative()),
  tried: Schema.Boolean
})

export const AddressBookFile = Schema.Struct({
  version: Schema.Literal(ADDRESS_BOOK_FILE_VERSION),
  /** The bucket-hashing key, hex; kept so that restarts do not reshuffle the tables. */
  key: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/)),
  entries: Schema.Array(SavedEntry)
})
export type AddressBookFile = typeof AddressBookFile.Type

export const decodeAddressBookFile = Schema.decodeUnknownEither(Schema.parseJson(AddressBookFile))
