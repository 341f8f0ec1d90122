import { pino } from 'pino'

/** Structured fields of a log line; never tokens, keys or secrets. */
export type LogFields = Readonly<Record<string, unknown>>

/** A structured logger: a fixed message and fields, not interpolated strings. */
export interface Logger {
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

/**
 * Writes one JSON object per line (pino: `{"level":"info","time":"<ISO-8601>","msg":…,…fields}`) to `write`, or
 * to stderr by default, so stdout stays free for data (and for the MCP channel of `warden gateway stdio`).
 * `WARDEN_LOG_LEVEL` sets the level (default `info`). The default destination writes asynchronously (pino's
 * sonic-boom, flushed at exit): a line per request is one blocking `write(2)` on a pipe otherwise,
 * about 3 % of `warden serve`'s CPU in the gateway bench; lines that come while a write is in flight go out together.
 */
export function createJsonLogger(write?: (line: string) => void): Logger {
  const options = {
    level: process.env.WARDEN_LOG_LEVEL ?? 'info',
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  }
  const base = write ? pino(options, { write }) : pino(options, pino.destination({ dest: 2, sync: false }))
  return {
    info: (msg, fields) => base.info(fields ?? {}, msg),
    warn: (msg, fields) => base.warn(fields ?? {}, msg),
    error: (msg, fields) => base.error(fields ?? {}, msg),
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
