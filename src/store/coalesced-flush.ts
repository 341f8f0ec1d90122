/**
 * Runs `sync` for every caller of the returned function, coalesced: a caller that arrives while a sync runs
 * waits for the next one (the running one may have started before its commit), shared by everyone who arrives
 * meanwhile. Syncs complete in order, so each covers every commit made before its caller called.
 */
export function coalescedFlush(sync: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  let next: Promise<void> | undefined
  const flush = (): Promise<void> => {
    if (!running) {
      const current = sync().finally(() => {
        if (running === current) running = undefined
      })
      running = current
      return current
    }
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined
        return flush()
      })
    return next
  }
  return flush
}
