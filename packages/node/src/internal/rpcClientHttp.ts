/** One HTTPS POST with a client certificate, a bounded response and errors classified for one-line messages. */
import { Effect } from "effect"
import type { IncomingMessage } from "node:http"
import { request as httpsRequest } from "node:https"

/** Largest response read; anything longer is not an RPC answer. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

export interface PostOptions {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly body: string
  readonly certificatePem: string
  readonly privateKeyPem: string
  readonly caPem: ReadonlyArray<string>
}

export type PostFailure =
  | { readonly _tag: "Refused"; readonly detail: string }
  | { readonly _tag: "Tls"; readonly detail: string }
  | { readonly _tag: "Connection"; readonly detail: string }
  | { readonly _tag: "Response"; readonly detail: string }

export interface PostResult {
  readonly status: number
  readonly text: string
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/

const classify = (error: unknown): PostFailure => {
  const code = String((error as { readonly code?: unknown } | null)?.code ?? "")
  const detail = error instanceof Error ? error.message.split("\n")[0] ?? error.message : String(error)
  if (code === "ECONNREFUSED") return { _tag: "Refused", detail }
  if (TLS_CODES.test(code) || /certificate|alert/i.test(detail)) return { _tag: "Tls", detail }
  return { _tag: "Connection", detail: code !== "" && !detail.includes(code) ? `${detail} (${code})` : detail }
}

const readResponse = (response: IncomingMessage, resume: (result: Effect.Effect<PostResult, PostFailure>) => void) => {
  const chunks: Array<Buffer> = []
  let size = 0
  response.on("data", (chunk: Buffer) => {
    size += chunk.length
    if (size > MAX_RESPONSE_BYTES) {
      response.destroy()
      resume(Effect.fail({ _tag: "Response", detail: `the response is larger than ${MAX_RESPONSE_BYTES} bytes` }))
    } else {
      chunks.push(chunk)
    }
  })
  response.on("end", () =>
    resume(Effect.succeed({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") })))
  response.on("error", (error) => resume(Effect.fail(classify(error))))
  response.on("close", () => {
    if (!response.complete) resume(Effect.fail({ _tag: "Connection", detail: "the connection closed mid-response" }))
  })
}

/** POSTs `body`; interrupting it (e.g. by a timeout) destroys the request. */
export const post = (options: PostOptions): Effect.Effect<PostResult, PostFailure> =>
  Effect.async<PostResult, PostFailure>((resume) => {
    let done = false
    const once = (result: Effect.Effect<PostResult, PostFailure>) => {
      if (done) return
      done = true
      resume(result)
    }
    const body = Buffer.from(options.body, "utf8")
    const request = httpsRequest({
      host: options.host,
      port: options.port,
      path: options.path,
      method: "POST",
      cert: options.certificatePem,
      key: options.privateKeyPem,
      ca: [...options.caPem],
      rejectUnauthorized: true,
      // Node certificates name `chia.net`, never the host: the chain to the private CA is what is checked.
      checkServerIdentity: () => undefined,
      minVersion: "TLSv1.3",
      agent: false,
      headers: { "content-type": "application/json", "content-length": body.length }
    })
    request.on("response", (response) => readResponse(response, once))
    request.on("error", (error) => once(Effect.fail(classify(error))))
    request.end(body)
    return Effect.sync(() => {
      done = true
      request.destroy()
    })
  })
