import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hono } from 'hono'
import { createApp } from '../../src/api/index.js'
import { composeWarden, type Warden } from '../../src/compose.js'
import { type ConfigInput, configSchema } from '../../src/config/index.js'
import type { Store } from '../../src/store/index.js'
import { FakeClock, type ShiftedClock } from './clock.js'

export const ADMIN_TOKEN = 'test-admin-token'
export const BASE = 'http://localhost'

/** A Warden on a temp data directory with a fake clock, and its HTTP app driven in-process. */
export interface TestWarden {
  warden: Warden
  app: Hono
  clock: FakeClock | ShiftedClock
  dataDir: string
  /** Sends a request to the app; JSON bodies are serialised; the admin token is added unless `admin: false`. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string>; admin?: boolean },
  ): Promise<Response>
  dispose(): Promise<void>
}

export async function startTestWarden(
  input: ConfigInput = {},
  options: { clock?: FakeClock | ShiftedClock; dataDir?: string; store?: (dataDir: string) => Store } = {},
): Promise<TestWarden> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'warden-test-'))
  const clock = options.clock ?? new FakeClock()
  const config = configSchema.parse({ ...input, dataDir })
  const warden = await composeWarden(config, {
    clock,
    adminToken: ADMIN_TOKEN,
    ...(options.store ? { store: options.store(dataDir) } : {}),
  })
  const app = createApp(warden)
  return {
    warden,
    app,
    clock,
    dataDir,
    request: async (method, path, { body, headers = {}, admin = true } = {}) => {
      const all: Record<string, string> = { ...headers }
      if (admin) all.authorization ??= `Bearer ${ADMIN_TOKEN}`
      if (body !== undefined) all['content-type'] = 'application/json'
      return app.request(`${BASE}${path}`, {
        method,
        headers: all,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
    },
    dispose: async () => {
      await warden.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
