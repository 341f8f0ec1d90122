import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve as serveHttp } from '@hono/node-server'
import { createApp } from '../api/index.js'
import { composeWarden } from '../compose.js'
import { type ConfigFlags, loadConfig } from '../config/index.js'
import { createJsonLogger } from '../kernel/index.js'

/**
 * `warden serve`: loads the config, composes Warden, serves the HTTP API. On SIGINT/SIGTERM it stops accepting,
 * lets requests in flight finish — at most `server.shutdownTimeout` — then closes what is still open (MCP event
 * streams never finish by themselves), flushes the chain with a last checkpoint, and exits; a second signal exits
 * at once.
 */
export async function serve(flags: ConfigFlags): Promise<void> {
  // The config is checked before anything is written: a failed start creates no keys and no store.
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
  warden.operations.health.start()
  const app = createApp(warden)
  // Requests whose handler has not answered yet; a streamed body (SSE) no longer counts once its headers are out.
  let inFlight = 0
  const server = serveHttp({
    fetch: async (request, env) => {
      inFlight += 1
      try {
        return await app.fetch(request, env)
      } finally {
        inFlight -= 1
      }
    },
    hostname: config.server.host,
    port: config.server.port,
    // Slow clients (CVE-2018-12122): headers must arrive within 10 s and a whole request within 60 s, checked
    // every second (Node checks every 30 s by default). Responses, SSE streams included, are not limited here.
    serverOptions: { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 1_000 },
  }) as Server
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn('second signal: exiting at once', { signal })
      process.exit(1)
    }
    stopping = true
    const deadline = Date.now() + config.server.shutdownTimeout
    logger.info('shutting down', { signal, deadlineMs: config.server.shutdownTimeout })
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    if (inFlight > 0) logger.warn('shutdown deadline passed; closing open requests', { inFlight })
    // Event streams and keep-alive sockets stay open otherwise; nothing in flight is cut before the deadline.
    server.closeAllConnections()
    await closed
    // The last safeguard: a close that hangs (an upstream that will not exit) cannot keep the process alive.
    setTimeout(
      () => {
        logger.error('shutdown did not finish; exiting', {})
        process.exit(1)
      },
      Math.max(1_000, deadline - Date.now() + 5_000),
    ).unref()
    try {
      await warden.close()
      logger.info('stopped', {})
      process.exit(0)
    } catch (error) {
      logger.error('shutdown failed', { error: String(error) })
      process.exit(1)
    }
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  // Announced only once the handlers are in place: a supervisor may signal as soon as it reads this line.
  const { port } = server.address() as AddressInfo
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`
  logger.info('warden listening', { url, trustDomain: config.trustDomain, dataDir: config.dataDir })
  process.stdout.write(`Warden listening on ${url}\n`)
}
