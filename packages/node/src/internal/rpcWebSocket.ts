/**
 * RPC over a WebSocket at `/ws`, in the reference daemon's message shape: requests
 * `{command, ack, data, request_id, destination, origin}`, answers `{command, ack: true, data, request_id, origin,
 * destination}` with origin and destination swapped. Text JSON frames only (a binary frame closes the socket, as the
 * daemon does). Requests run concurrently; answers carry the request id.
 */
import { Effect, Either } from "effect"
import type { RawData, WebSocket } from "ws"
import { failure } from "./rpcDispatch.js"
import { isJsonObject, type JsonObject, parseObject, render } from "./rpcJson.js"

/** Name we answer as when a request names no destination (the reference full node's service name). */
export const SERVICE_NAME = "chia_full_node"
/** Requests one socket may have in flight; more are answered with an error at once. */
export const MAX_PENDING_PER_SOCKET = 64
/** Close code for a binary frame (RFC 6455 1003: unsupported data). */
export const UNSUPPORTED_DATA = 1003

const rawText = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString("utf8")
    : Buffer.isBuffer(data)
    ? data.toString("utf8")
    : Buffer.from(data).toString("utf8")

const stringField = (message: JsonObject, key: string): string | undefined => {
  const value = message[key]
  return typeof value === "string" ? value : undefined
}

const reply = (request: JsonObject | undefined, command: string, data: JsonObject): string =>
  render({
    command,
    ack: true,
    data,
    request_id: (request && stringField(request, "request_id")) ?? "",
    origin: (request && stringField(request, "destination")) ?? SERVICE_NAME,
    destination: (request && stringField(request, "origin")) ?? ""
  })

/** The answer (text) to one message; `answer` runs a command. */
export const answerMessage = (
  text: string,
  answer: (command: string, params: JsonObject) => Effect.Effect<JsonObject>
): Effect.Effect<string> => {
  const parsed = parseObject(text)
  if (Either.isLeft(parsed)) return Effect.succeed(reply(undefined, "", failure(parsed.left)))
  const request = parsed.right
  const command = stringField(request, "command")
  if (command === undefined) return Effect.succeed(reply(request, "", failure("the message has no \"command\" string")))
  const data = request["data"] ?? {}
  if (!isJsonObject(data)) return Effect.succeed(reply(request, command, failure("\"data\" must be a JSON object")))
  return answer(command, data).pipe(Effect.map((result) => reply(request, command, result)))
}

/** Serves one socket; `run` forks an effect into the server's supervised fibers. */
export const serveSocket = (
  socket: WebSocket,
  answer: (command: string, params: JsonObject) => Effect.Effect<JsonObject>,
  run: (effect: Effect.Effect<void>) => void
): void => {
  let pending = 0
  const send = (text: string) => {
    if (socket.readyState === socket.OPEN) socket.send(text)
  }
  socket.on("error", () => undefined)
  socket.on("message", (data, isBinary) => {
    if (isBinary) {
      socket.close(UNSUPPORTED_DATA, "text JSON frames only")
      return
    }
    const text = rawText(data)
    if (pending >= MAX_PENDING_PER_SOCKET) {
      const request = Either.getOrUndefined(parseObject(text))
      const command = (request && stringField(request, "command")) ?? ""
      send(reply(request, command, failure(`more than ${MAX_PENDING_PER_SOCKET} requests in flight on this socket`)))
      return
    }
    pending++
    run(
      answerMessage(text, answer).pipe(
        Effect.tap((out) => Effect.sync(() => send(out))),
        Effect.ensuring(Effect.sync(() => pending--)),
        Effect.asVoid
      )
    )
  })
}
