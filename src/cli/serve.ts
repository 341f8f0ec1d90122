import type { AddressInfo } from 'node:net'
import { serve as serveHttp } from '@hono/node-server'
import { createApp } from '../api/index.js'
import { composeWarden } from '../compose.js'
import { type ConfigFlags, loadConfig } from '../config/index.js'
import { createJsonLogger } from '../kernel/index.js'

/**
 * `warden serve`: loads the config, composes Warden, serves the HTTP API, and shuts down gracefully on
 * SIGINT/SIGTERM (stops accepting, lets in-flight requests finish, closes the store).
 */
export async function serve(flags: ConfigFlags): Promise<void> {
  const config = loadConfig(flags)
  const logger = createJsonLogger()
  const warden = await composeWarden(config, {
    logger,
    adminToken: process.env.WARDEN_ADMIN_TOKEN,
    kek: {
      value: process.env.WARDEN_KEK,
      file: process.env.WARDEN_KEK_FILE,
      previous: process.env.WARDEN_KEK_PREVIOUS,
    },
  })
  if (warden.generatedAdminToken) {
    // Printed once, on the first start; only its hash is kept.
    process.stdout.write(
      `\nAdmin token (shown once, stored only as a hash):\n\n  export WARDEN_ADMIN_TOKEN=${warden.generatedAdminToken}\n\n`,
    )
  }
  await warden.gateway.start()
  const app = createApp(warden)
  const server = serveHttp({
    fetch: app.fetch,
    hostname: config.server.host,
    port: config.server.port,
    // Slow clients (CVE-2018-12122): headers must arrive within 10 s and a whole request within 60 s, checked
    // every second (Node checks every 30 s by default). Responses, SSE streams included, are not limited here.
    serverOptions: { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 1_000 },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`
  logger.info('warden listening', { url, trustDomain: config.trustDomain, dataDir: config.dataDir })
  process.stdout.write(`Warden listening on ${url}\n`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    server.close(() => {
      warden.close().then(
        () => {
          logger.info('stopped', {})
          process.exit(0)
        },
        (error: unknown) => {
          logger.error('shutdown failed', { error: String(error) })
          process.exit(1)
        },
      )
    })
    // Idle keep-alive sockets would hold close() open.
    ;(server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.()
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}
