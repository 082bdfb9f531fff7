/**
 * An `AddressBook` for devnets where many nodes share one IP (all on 127.0.0.1, distinct ports). The reference's address
 * manager, and so the default `AddressBook`, indexes entries by IP only: one IP holds one port, and such a devnet could
 * know a single peer. This book indexes by IP and port, and accepts private addresses.
 *
 * Use it with Discovery's `groupRule: false` (every node is in one group anyway). Not for public networks: there one IP
 * must count once.
 */
import type { Layer } from "effect"
import * as AddressBook from "./AddressBook.js"

/** The devnet book, persisted like the default one. */
export const make = (options: AddressBook.AddressBookOptions = {}) =>
  AddressBook.make({ ...options, allowPrivate: true, keyByEndpoint: true })

/** The devnet book as a layer, persisted like the default one. */
export const layer = (
  options: AddressBook.AddressBookOptions = {}
): Layer.Layer<AddressBook.AddressBook, AddressBook.AddressBookError> =>
  AddressBook.layer({ ...options, allowPrivate: true, keyByEndpoint: true })
