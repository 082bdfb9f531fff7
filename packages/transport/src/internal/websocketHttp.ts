/** Raw HTTP answers on a socket whose upgrade is refused (the gate said no, wrong path, shutting down). */
import { STATUS_CODES } from "node:http"
import type { Duplex } from "node:stream"

const isErrorStatus = (status: number): boolean => Number.isInteger(status) && status >= 400 && status <= 599

/** Writes `status` with `reason` as a plain-text body, then destroys the socket once the answer is flushed. */
export const writeHttpError = (socket: Duplex, status: number, reason: string): void => {
  if (socket.destroyed) return
  const code = isErrorStatus(status) ? status : 403
  const body = Buffer.from(reason, "utf8")
  const head = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? "Error"}\r\n` +
    "Connection: close\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${body.length}\r\n\r\n`
  socket.once("finish", () => socket.destroy())
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]))
}
