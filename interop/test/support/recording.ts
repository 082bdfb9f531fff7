/**
 * Frame capture: a `Connection` wrapper that records every frame in both directions exactly as it crossed the
 * transport, and the capture file format (`frames-<name>.jsonl`: one `{dir, t, type, type_name, bytes, hex}` per line).
 */
import { type Connection, observeConnection } from "@peerwire/transport"
import { messageTypeName } from "@peerwire/codec/chia/MessageTypes"
import { writeFileSync } from "node:fs"

export interface CapturedFrame {
  readonly dir: "in" | "out"
  /** Milliseconds since the capture started. */
  readonly t: number
  readonly type: number
  readonly typeName: string
  readonly bytes: Uint8Array
}

export interface FrameLog {
  readonly name: string
  /** Epoch ms the capture started; frame times count from here. */
  readonly startedAt: number
  readonly frames: ReadonlyArray<CapturedFrame>
  readonly add: (dir: "in" | "out", frame: Uint8Array) => void
  /** Writes `<dir>/frames-<name>.jsonl`. */
  readonly save: (dir: string) => string
}

export const makeFrameLog = (name: string): FrameLog => {
  const t0 = Date.now()
  const frames: Array<CapturedFrame> = []
  return {
    name,
    startedAt: t0,
    frames,
    add: (dir, frame) => {
      const type = frame[0] ?? -1
      // Copy: the bytes are compared with the reference's decoding later.
      frames.push({ dir, t: Date.now() - t0, type, typeName: messageTypeName(type) ?? `unknown_${type}`, bytes: frame.slice() })
    },
    save: (dir) => {
      const path = `${dir}/frames-${name}.jsonl`
      writeFileSync(
        path,
        frames
          .map((f) =>
            JSON.stringify({ dir: f.dir, t: f.t, type: f.type, type_name: f.typeName, bytes: f.bytes.length, hex: Buffer.from(f.bytes).toString("hex") })
          )
          .join("\n") + "\n"
      )
      return path
    }
  }
}

/** The same connection, with every inbound and outbound frame recorded in `log`. */
export const recording = (connection: Connection, log: FrameLog): Connection =>
  observeConnection(connection, {
    sent: (frame) => log.add("out", frame),
    received: (frame) => log.add("in", frame)
  })
