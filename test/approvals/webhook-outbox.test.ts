import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_OUTBOX, WebhookNotifier, WebhookSecrets } from '../../src/approvals/index.js'
import { randomIds, silentLogger } from '../../src/kernel/index.js'
import { createPostgresStore, migrate, SqliteStore, type Store } from '../../src/store/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { openPostgresTestStore, TEST_PG_URL } from '../fakes/postgres.js'

const OWNER = 'ops@example.com'
const COUNT = 30

/** Two nodes' connections to one store, and a way to drop it. */
interface SharedStore {
  nodes: [Store, Store]
  dispose(): Promise<void>
}

const stores: Record<string, () => Promise<SharedStore>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-outbox-'))
    const file = join(dir, 'warden.db')
    const nodes: [Store, Store] = [new SqliteStore(file), new SqliteStore(file)]
    return {
      nodes,
      dispose: async () => {
        await Promise.all(nodes.map((s) => s.close()))
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
  postgres: async () => {
    const first = await openPostgresTestStore()
    const second = createPostgresStore({ url: TEST_PG_URL, schema: first.schema, max: 4 })
    return {
      nodes: [first.store, second],
      dispose: async () => {
        await second.close()
        await first.dispose()
      },
    }
  },
}

describe.each(Object.keys(stores))('webhook outbox on %s shared by two nodes', (kind) => {
  let shared: SharedStore
  let receiver: Server
  let url: string
  const ids: string[] = []
  beforeAll(async () => {
    shared = await (stores[kind] as () => Promise<SharedStore>)()
    receiver = createServer((req, res) => {
      ids.push(String(req.headers['webhook-id']))
      req.resume()
      req.on('end', () => {
        res.statusCode = 204
        res.end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  })
  afterAll(async () => {
    await shared?.dispose()
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
  })

  it('gives each pending delivery to one node: every one arrives exactly once', async () => {
    const clock = new ShiftedClock()
    const [a, b] = shared.nodes
    await migrate(a, clock.now())
    const key = randomBytes(32)
    const node = (store: Store) =>
      new WebhookNotifier(
        store,
        clock,
        randomIds,
        silentLogger,
        { [OWNER]: { webhook: url, format: 'json' } },
        new WebhookSecrets(store, clock, key),
        DEFAULT_OUTBOX,
      )
    const [first, second] = [node(a), node(b)]
    const now = clock.now()
    for (let i = 0; i < COUNT; i++) {
      await a.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO approvals (id, task, agent, owner, server, tool, call_digest, decision_id, reasons, signals, status, created_at, expires_at)
           VALUES (?, 't', 'spiffe://x/agent/a', ?, 'mail', 'send', ?, ?, '[]', '[]', 'pending', ?, ?)`,
          [`ap-${i}`, OWNER, `digest-${i}`, `d-${i}`, now, now + 600_000],
        )
        await first.enqueue(tx, {
          id: `ap-${i}`,
          owner: OWNER,
          createdAt: now,
          expiresAt: now + 600_000,
        } as Parameters<WebhookNotifier['enqueue']>[1])
      })
    }
    const [byFirst, bySecond] = await Promise.all([first.deliverDue(), second.deliverDue()])
    // Positive control: all of them were sent; the claim is what keeps any from being sent twice.
    expect(byFirst + bySecond).toBe(COUNT)
    expect(ids).toHaveLength(COUNT)
    expect(new Set(ids).size).toBe(COUNT)
    const rows = await b.all<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM webhook_deliveries`,
    )
    expect(rows.every((row) => row.status === 'delivered' && Number(row.attempts) === 1)).toBe(true)
    // Nothing is left to send on either node.
    expect(await first.deliverDue()).toBe(0)
    expect(await second.deliverDue()).toBe(0)
    await Promise.all([first.close(), second.close()])
  })
})
