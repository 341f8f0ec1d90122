import { AsyncLocalStorage } from 'node:async_hooks'

/** What Warden knows of the HTTP request a piece of work serves. */
export interface RequestContext {
  /** `X-Request-Id`: the client's (when well formed) or one Warden made; echoed, logged, and recorded. */
  readonly requestId: string
}

const storage = new AsyncLocalStorage<RequestContext>()

/** Runs `work` with `context` visible to everything it awaits (the pipeline, the chain append). */
export function runWithRequest<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work)
}

/** The request being served, if any. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore()
}

/** A client-supplied id is kept only when short and plain, so it cannot inject into logs. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The request id to use: the client's when acceptable, else `fallback()`. */
export function acceptRequestId(presented: string | undefined, fallback: () => string): string {
  return presented !== undefined && REQUEST_ID.test(presented) ? presented : fallback()
}
