import { Hono } from 'hono'
import type { Warden } from '../../compose.js'

/**
 * Probes and metrics, for orchestrators and Prometheus: registered ahead of the `Host` check, since a kubelet or
 * a scraper names the pod by its IP. They reveal no tokens and change nothing.
 */
export function probeRoutes(warden: Warden): Hono {
  const { health, metrics } = warden.operations
  const app = new Hono()
  app.get('/healthz', async (c) => {
    const report = await health.live()
    return c.json(report, report.status === 'ok' ? 200 : 503)
  })
  app.get('/readyz', async (c) => {
    const report = await health.ready()
    return c.json(report, report.status === 'ok' ? 200 : 503)
  })
  app.get('/metrics', async (c) => {
    const { text, contentType } = await metrics.scrape()
    return c.body(text, 200, { 'content-type': contentType })
  })
  return app
}
