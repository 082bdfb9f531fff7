/**
 * The running node's terminal output: log lines (human-readable text or one JSON object per line) on stderr, and on an
 * interactive terminal a status line (or the devnet's table) kept below them. Log lines erase and redraw that block so
 * the two never mix.
 */
import { Cause, HashMap, Inspectable, Layer, Logger, LogLevel } from "effect"

export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "none"] as const
export type LogLevelName = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ["text", "json"] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** Config / flag level name to Effect's level. */
export const logLevelOf = (name: LogLevelName): LogLevel.LogLevel => {
  switch (name) {
    case "trace":
      return LogLevel.Trace
    case "debug":
      return LogLevel.Debug
    case "info":
      return LogLevel.Info
    case "warning":
      return LogLevel.Warning
    case "error":
      return LogLevel.Error
    case "none":
      return LogLevel.None
  }
}

const CLEAR_LINE = "\r\x1b[2K"

/** A writable text stream (stderr, or a test double). */
export interface TextSink {
  readonly write: (text: string) => unknown
  /** Width of the terminal, when it is one (block lines are cut to it, so that erasing counts lines right). */
  readonly columns?: number | undefined
}

/**
 * One output stream shared by log lines and a block kept at its bottom (a status line, the devnet's table). The block
 * is drawn only when `interactive` (a TTY); otherwise `setBlock` does nothing and the caller prints or logs instead.
 */
export class Terminal {
  private block: ReadonlyArray<string> = []

  constructor(private readonly sink: TextSink, readonly interactive: boolean) {}

  /** Erases the block: back to its first line, clear to the end of the screen. */
  private erase(): string {
    if (this.block.length === 0) return ""
    return this.block.length > 1 ? `\r\x1b[${this.block.length - 1}A\x1b[J` : CLEAR_LINE
  }

  /** A whole line; the block, if any, is redrawn below it. */
  line(text: string): void {
    if (this.block.length === 0) this.sink.write(`${text}\n`)
    else this.sink.write(`${this.erase()}${text}\n${this.block.join("\n")}`)
  }

  /** Replaces the block (interactive only). */
  setBlock(lines: ReadonlyArray<string>): void {
    if (!this.interactive) return
    const width = this.sink.columns
    if (width !== undefined && width > 1) lines = lines.map((l) => (l.length >= width ? l.slice(0, width - 1) : l))
    if (lines.length === this.block.length && lines.every((l, i) => l === this.block[i])) return
    const erase = this.erase()
    this.block = lines
    this.sink.write(`${erase}${lines.join("\n")}`)
  }

  setStatus(text: string): void {
    this.setBlock([text])
  }

  /** Removes the block (at shutdown), leaving the cursor at the start of an empty line. */
  clearStatus(): void {
    if (this.block.length === 0) return
    const erase = this.erase()
    this.block = []
    this.sink.write(erase)
  }
}

/** The terminal of this process: stderr, interactive when it is a TTY. */
export const processTerminal = (): Terminal => new Terminal(process.stderr, process.stderr.isTTY === true)

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

const timestamp = (date: Date): string =>
  `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
  `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`

const messageText = (message: unknown): string =>
  Array.isArray(message)
    ? message.map((part) => (typeof part === "string" ? part : Inspectable.toStringUnknown(part))).join(" ")
    : typeof message === "string"
    ? message
    : Inspectable.toStringUnknown(message)

const annotationValue = (value: unknown): string => {
  const text = typeof value === "string" ? value : Inspectable.toStringUnknown(value)
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text
}

/**
 * `2025-11-23 10:54:21.123 INFO  message key=value` (annotations sorted by key), and the cause's first line when there
 * is one.
 */
export const textLogger = (terminal: Terminal): Logger.Logger<unknown, void> =>
  Logger.make(({ annotations, cause, date, logLevel, message }) => {
    let line = `${timestamp(date)} ${logLevel.label.padEnd(5)} ${messageText(message)}`
    const entries = HashMap.toEntries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    for (const [key, value] of entries) line += ` ${key}=${annotationValue(value)}`
    if (!Cause.isEmpty(cause)) line += ` cause=${JSON.stringify(Cause.pretty(cause).split("\n")[0] ?? "")}`
    terminal.line(line)
  })

/** Effect's JSON logger (message, logLevel, timestamp, annotations, cause, spans, fiberId), one object per line. */
export const jsonLogger = (terminal: Terminal): Logger.Logger<unknown, void> =>
  Logger.map(Logger.jsonLogger, (line) => terminal.line(line))

/**
 * Replaces the default logger (and the pretty one `NodeRuntime.runMain` puts in its place) and sets the minimum level.
 */
export const layer = (terminal: Terminal, format: LogFormat, level: LogLevelName): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.remove(Logger.prettyLoggerDefault),
    Logger.replace(Logger.defaultLogger, format === "json" ? jsonLogger(terminal) : textLogger(terminal)),
    Logger.minimumLogLevel(logLevelOf(level))
  )
