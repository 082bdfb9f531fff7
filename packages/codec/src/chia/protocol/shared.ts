/** Shared protocol, all services (chia `protocols/shared_protocol.py`). */
import type { TypeOf } from "../../Codec.js"
import { list, optional, struct, tuple } from "../../Combinators.js"
import { bytes, int16, str, uint16, uint8 } from "../../Primitives.js"

/** Message 1. `capabilities` holds (Capability value, "1" = enabled) pairs. */
export const Handshake = struct("Handshake", {
  network_id: str,
  protocol_version: str,
  software_version: str,
  server_port: uint16,
  node_type: uint8,
  capabilities: list(tuple(uint16, str))
})
export type Handshake = TypeOf<typeof Handshake>

/** Message 111: (message type, window size; 0 = unlimited) pairs. */
export const ConfigureWindowSizes = struct("ConfigureWindowSizes", { settings: list(tuple(uint8, uint16)) })
export type ConfigureWindowSizes = TypeOf<typeof ConfigureWindowSizes>

/** Message 255: `code` is an `Err` value. */
export const Error = struct("Error", { code: int16, message: str, data: optional(bytes) })
export type Error = TypeOf<typeof Error>

/** Every shared class by its reference name. */
export const sharedClasses = { Handshake, ConfigureWindowSizes, Error } as const
