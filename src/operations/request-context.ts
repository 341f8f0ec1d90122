/**
 * What Warden knows of the HTTP request a piece of work serves: its id, passed by hand to what records it (the
 * pipeline's `DecideOptions.requestId`). Not an `AsyncLocalStorage`: on Node 20 one `run` turns on promise hooks
 * for the whole process, a cost on every promise of every request (~0.2 µs each, hundreds per gateway call).
 */
export interface RequestContext {
  /** `X-Request-Id`: the client's (when well formed) or one Warden made; echoed, logged, and recorded. */
  readonly requestId: string
}

/** A client-supplied id is kept only when short and plain, so it cannot inject into logs. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The request id to use: the client's when acceptable, else `fallback()`. */
export function acceptRequestId(presented: string | undefined, fallback: () => string): string {
  return presented !== undefined && REQUEST_ID.test(presented) ? presented : fallback()
}
