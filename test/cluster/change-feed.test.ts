import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/api/index.js'
import type { PostgresChangeFeed } from '../../src/cluster/index.js'
import { composeWarden, type Warden } from '../../src/compose.js'
import { configSchema } from '../../src/config/index.js'
import { schemaUrl } from '../fakes/cluster.js'
import { InstanceKey } from '../fakes/instance-key.js'
import { TEST_PG_URL } from '../fakes/postgres.js'

const ADMIN = 'feed-admin'
const TOOLS = [
  {
    name: 'read_inbox',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  },
]

/** A node composed in this process, its app served in-process. */
interface Node {
  warden: Warden
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe('a node whose change feed is lost', () => {
  const schema = `warden_feed_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_PG_URL })
  const dirs: string[] = []
  const nodes: Node[] = []
  beforeAll(async () => {
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${schema}`)
    const kek = randomBytes(32).toString('base64url')
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'warden-feed-'))
      dirs.push(dataDir)
      const config = configSchema.parse({ dataDir, store: { kind: 'postgres', url: schemaUrl(schema) } })
      const warden = await composeWarden(config, { adminToken: ADMIN, kek: { value: kek } })
      const app = createApp(warden)
      nodes.push({
        warden,
        request: async (method, path, body, headers = { authorization: `Bearer ${ADMIN}` }) =>
          app.request(`http://localhost${path}`, {
            method,
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
      })
    }
  }, 60_000)
  afterAll(async () => {
    for (const node of nodes) await node.warden.close()
    await admin.query(`DROP SCHEMA ${schema} CASCADE`)
    await admin.end()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('reads the store on every use until the feed is back, so a close made meanwhile is refused at once', async () => {
    const [a, b] = nodes as [Node, Node]
    expect((await a.request('PUT', '/v1/servers/mail/tools', { tools: TOOLS })).status).toBe(200)
    await a.request('POST', '/v1/agents', {
      name: 'mailer',
      owner: 'm@example.com',
      tier: 'standard',
      entitlements: ['read_inbox'],
    })
    const { token: join } = (await (await a.request('POST', '/v1/agents/mailer/join-tokens')).json()) as {
      token: string
    }
    const key = await InstanceKey.generate()
    const attested = await a.request(
      'POST',
      '/v1/attest',
      { method: 'join_token', token: join, publicKey: key.publicJwk },
      { dpop: await key.proof('POST', 'http://localhost/v1/attest') },
    )
    const { svid } = (await attested.json()) as { svid: string }
    const asHolder = async (node: Node, path: string, token: string, body: unknown) =>
      node.request('POST', path, body, {
        authorization: `DPoP ${token}`,
        dpop: await key.proof('POST', `http://localhost${path}`, { accessToken: token }),
      })
    const opened = await asHolder(a, '/v1/tasks', svid, { intent: { purpose: 'mail' } })
    const task = (await opened.json()) as { taskId: string; token: string }
    const decide = async (node: Node) => {
      const res = await asHolder(node, '/v1/authorize', task.token, {
        action: 'tools/call',
        tool: 'read_inbox',
        args: {},
      })
      return ((await res.json()) as { effect?: string; code?: string }).effect ?? 'refused'
    }
    // Node B serves the task (and caches its standing) while its feed is live.
    expect(b.warden.feed.live).toBe(true)
    expect(await decide(b)).toBe('allow')

    // B's listening connection is cut: it notices, and stops trusting what it cached.
    const feed = b.warden.feed as PostgresChangeFeed
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      feed.applicationName,
    ])
    await until(() => !b.warden.feed.live)
    expect(await decide(b)).toBe('allow')
    // Closed on A while B cannot hear of it: B refuses at once all the same, from the store.
    expect((await a.request('POST', `/v1/tasks/${task.taskId}/close`, { reason: 'done' })).status).toBe(200)
    expect(await decide(b)).toBe('refused')

    // The feed comes back by itself; the close still stands there.
    await until(() => b.warden.feed.live)
    expect(await decide(b)).toBe('refused')
  }, 60_000)
})
