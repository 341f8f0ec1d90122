/** Structured fields of a log line; never tokens, keys or secrets. */
export type LogFields = Readonly<Record<string, unknown>>

/** A structured logger: a fixed message and fields, not interpolated strings. */
export interface Logger {
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

/** Writes one JSON object per line to `write` (stderr by default). */
export function createJsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const log = (level: string, msg: string, fields?: LogFields) => {
    write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })}\n`)
  }
  return {
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
