/**
 * A `fetch` for a long-lived client that hands one `AbortSignal` to every request it makes (the MCP SDK's
 * Streamable HTTP transport aborts all of them with one signal when it closes).
 *
 * Node's fetch (undici 6) adds a listener to the signal of each request and removes it only once the request is
 * garbage-collected, and it counts the signal's listeners on every new request: a signal shared by thousands of
 * requests makes each of them slower (the top item of the HTTP gateway's CPU profile, ~1,800 listeners on one
 * signal). Here each request gets a signal of its own; the shared one has a single listener, which aborts every
 * request still in flight — a request counts as in flight until its response body has been collected, so an
 * event stream being read is aborted with the rest.
 */
export function fetchWithOwnSignals(base: typeof fetch = fetch): typeof fetch {
  const inFlight = new WeakMap<AbortSignal, Set<AbortController>>()
  const finished = new FinalizationRegistry<{ set: Set<AbortController>; own: AbortController }>(
    ({ set, own }) => set.delete(own),
  )
  const requestsOf = (shared: AbortSignal): Set<AbortController> => {
    let set = inFlight.get(shared)
    if (!set) {
      const requests = new Set<AbortController>()
      shared.addEventListener(
        'abort',
        () => {
          for (const own of requests) own.abort(shared.reason)
          requests.clear()
        },
        { once: true },
      )
      inFlight.set(shared, requests)
      set = requests
    }
    return set
  }
  return async (input, init) => {
    const shared = init?.signal
    if (!shared) return base(input, init)
    const own = new AbortController()
    if (shared.aborted) own.abort(shared.reason)
    const set = requestsOf(shared)
    set.add(own)
    try {
      const response = await base(input, { ...init, signal: own.signal })
      if (response.body) finished.register(response.body, { set, own })
      else set.delete(own)
      return response
    } catch (error) {
      set.delete(own)
      throw error
    }
  }
}
