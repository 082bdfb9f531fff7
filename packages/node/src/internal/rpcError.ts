import { Data } from "effect"

/**
 * Why an RPC command failed; every one becomes `{"success": false, "error": message}`.
 * - `MalformedRequest`: the body is not JSON, not an object, too large, or the method is not POST.
 * - `UnknownCommand`: no such command.
 * - `InvalidParams`: a parameter is missing or has the wrong type (the message names it).
 * - `Failed`: the node could not do it (e.g. could not connect, no such connection).
 * - `Timeout`: the command did not finish in time.
 * - `Internal`: a defect in a handler, reported instead of crashing.
 */
export type RpcErrorReason = "MalformedRequest" | "UnknownCommand" | "InvalidParams" | "Failed" | "Timeout" | "Internal"

export class RpcError extends Data.TaggedError("RpcError")<{
  readonly reason: RpcErrorReason
  readonly message: string
}> {}

/**
 * Why the RPC server could not start.
 * - `AddressInUse`: the port is taken (another node, or another service).
 * - `Listen`: any other listen failure (permission, bad address).
 * - `Tls`: the certificates could not be read or do not belong together.
 */
export type RpcServerErrorReason = "AddressInUse" | "Listen" | "Tls"

export class RpcServerError extends Data.TaggedError("RpcServerError")<{
  readonly reason: RpcServerErrorReason
  readonly message: string
  readonly cause?: unknown
}> {}

/** A node operation behind an RPC command failed; `message` is one line and is returned to the caller as is. */
export class NodeControlError extends Data.TaggedError("NodeControlError")<{
  readonly message: string
}> {}
