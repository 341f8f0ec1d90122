import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Attested, attestWithJoinToken, codeOf, registerAgent } from '../fakes/identity.js'
import { TEST_PG_URL } from '../fakes/postgres.js'
import { type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

async function lease(t: TestWarden, who: Attested, task: OpenedTask, secret: string): Promise<Response> {
  const url = `${BASE}/v1/tasks/${task.taskId}/leases`
  return t.request('POST', `/v1/tasks/${task.taskId}/leases`, {
    body: { secret },
    headers: {
      authorization: `DPoP ${task.token}`,
      dpop: await who.key.proof('POST', url, { accessToken: task.token }),
    },
    admin: false,
  })
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

describe('leases of ephemeral secrets', () => {
  let t: TestWarden
  let agent: Attested
  beforeEach(async () => {
    t = await startTestWarden({
      secrets: {
        'crm-api-key': { provider: 'static', agents: ['billing'] },
        'reports-db': {
          provider: 'postgres',
          url: TEST_PG_URL,
          roles: ['pg_read_all_data'],
          agents: ['billing'],
        },
        'other-key': { provider: 'static', agents: ['someone-else'] },
      },
    })
    await registerAgent(t, 'billing', { tier: 'standard' })
    agent = await attestWithJoinToken(t, 'billing')
  })
  afterEach(() => t.dispose())

  it('releases a static secret only through a lease, keeps it encrypted at rest and out of the chain', async () => {
    const value = 'crm-live-7f3a9b2c1d'
    expect((await t.request('PUT', '/v1/secrets/crm-api-key', { body: { value } })).status).toBe(204)
    const task = (await (await openTask(t, agent, { purpose: 'sync invoices' })).json()) as OpenedTask
    const res = await lease(t, agent, task, 'crm-api-key')
    expect(res.status).toBe(201)
    expect(((await res.json()) as { value: string }).value).toBe(value)

    const db = readFileSync(join(t.dataDir, 'warden.db'))
    expect(db.includes(Buffer.from(value))).toBe(false)
    await t.request('POST', `/v1/tasks/${task.taskId}/close`, { body: {} })
    const chain = await (await t.request('GET', `/v1/tasks/${task.taskId}/chain`)).text()
    expect(chain).not.toContain(value)
    expect(chain).toContain('lease.issue')
    expect(chain).toContain('lease.revoke')
  })

  it('refuses a secret the agent may not lease, an unknown one, and any lease after close', async () => {
    const task = (await (await openTask(t, agent, { purpose: 'x' })).json()) as OpenedTask
    expect(await codeOf(await lease(t, agent, task, 'other-key'))).toBe('LEASE_NOT_ALLOWED')
    expect(await codeOf(await lease(t, agent, task, 'nope'))).toBe('SECRET_NOT_FOUND')
    await t.request('POST', `/v1/tasks/${task.taskId}/close`, { body: {} })
    expect(await codeOf(await lease(t, agent, task, 'crm-api-key'))).toBe('TASK_CLOSED')
  })

  it('creates a PostgreSQL role that works while the task runs and is gone after close', async () => {
    const task = (await (await openTask(t, agent, { purpose: 'quarterly numbers' })).json()) as OpenedTask
    const res = await lease(t, agent, task, 'reports-db')
    expect(res.status, await res.clone().text()).toBe(201)
    const { value } = (await res.json()) as { value: string }
    expect(value).toMatch(/^postgres(ql)?:\/\/warden_lease_/)
    expect(await canConnect(value)).toBe(true)

    await t.request('POST', `/v1/tasks/${task.taskId}/close`, { body: {} })
    expect(await canConnect(value)).toBe(false)
    const role = new URL(value).username
    const admin = new pg.Client({ connectionString: TEST_PG_URL })
    await admin.connect()
    try {
      expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount).toBe(0)
    } finally {
      await admin.end()
    }
  })
})
