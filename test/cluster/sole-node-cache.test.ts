import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Change, sqliteFeed } from '../../src/cluster/index.js'
import { migrate, SqliteStore, sqliteFile } from '../../src/store/index.js'
import { attestWithJoinToken, registerAgent } from '../fakes/identity.js'
import { openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

describe('the change feed of a SQLite store', () => {
  let dir: string
  let store: SqliteStore
  let other: SqliteStore
  const heard: Change[] = []
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-feed-sqlite-'))
    store = new SqliteStore(join(dir, 'w.db'))
    await migrate(store, 1)
    other = new SqliteStore(join(dir, 'w.db'))
    sqliteFeed(store).onChange((change) => heard.push(change))
  })
  afterAll(async () => {
    await other.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('names the tables each commit of this process wrote, once committed', async () => {
    heard.length = 0
    await store.run(`INSERT INTO settings (key, value) VALUES (?, ?)`, ['a', '1'])
    expect(heard).toEqual([{ kind: 'table', table: 'settings' }])
    heard.length = 0
    await store.transaction(async (tx) => {
      await tx.run(`UPDATE settings SET value = '2' WHERE key = ?`, ['a'])
      expect(heard).toEqual([]) // nothing is heard before the commit
      await tx.get(`UPDATE chain_head SET seq = seq WHERE id = 1 RETURNING seq`)
    })
    expect(heard).toEqual([
      { kind: 'table', table: 'settings' },
      { kind: 'table', table: 'chain_head' },
    ])
  })

  it('says nothing of a write that changed no row, of a rolled-back transaction, or of reads', async () => {
    heard.length = 0
    await store.run(`UPDATE settings SET value = '3' WHERE key = ?`, ['nobody'])
    await store
      .transaction(async (tx) => {
        await tx.run(`UPDATE settings SET value = '4' WHERE key = ?`, ['a'])
        throw new Error('rolled back')
      })
      .catch(() => undefined)
    await store.all(`SELECT * FROM settings`)
    expect(heard).toEqual([])
  })

  it("reports another process's commit to the same file at the next poll, as a change it cannot name", async () => {
    const feed = sqliteFeed(store)
    const polled: Change[] = []
    feed.onChange((change) => polled.push(change))
    feed.poll?.()
    expect(polled).toEqual([]) // positive control: nothing happened elsewhere
    await other.run(`INSERT INTO settings (key, value) VALUES (?, ?)`, ['b', '1'])
    feed.poll?.()
    expect(polled).toEqual([{ kind: 'resync' }])
  })

  it("reports a commit no connection of this process made at the first poll of a later callback (a later request's)", async () => {
    const feed = sqliteFeed(store)
    const polled: Change[] = []
    feed.onChange((change) => polled.push(change))
    feed.poll?.()
    await new Promise((resolve) => setImmediate(resolve))
    feed.poll?.()
    expect(polled).toEqual([]) // positive control: nothing happened elsewhere
    // Another process's write, as the file sees it: a connection this process's stores know nothing of.
    const elsewhere = new Database(join(dir, 'w.db'))
    elsewhere.prepare(`INSERT INTO settings (key, value) VALUES (?, ?)`).run('c', '1')
    elsewhere.close()
    await new Promise((resolve) => setImmediate(resolve))
    feed.poll?.()
    expect(polled).toEqual([{ kind: 'resync' }])
  })
})

describe('a single node caching standing and the catalog on SQLite', () => {
  let t: TestWarden
  let other: SqliteStore
  beforeAll(async () => {
    t = await startTestWarden()
    other = new SqliteStore(sqliteFile(t.dataDir))
    const tools = [
      {
        name: 'read_file',
        description: 'read a file',
        inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
        annotations: { readOnlyHint: true },
      },
    ]
    expect((await t.request('PUT', '/v1/servers/files/tools', { body: { tools } })).status).toBe(200)
    expect((await registerAgent(t, 'reader')).status).toBe(201)
  })
  afterAll(async () => {
    await other.close()
    await t.dispose()
  })

  async function opened() {
    const who = await attestWithJoinToken(t, 'reader')
    const res = await openTask(t, who, { purpose: 'read the notes', tools: ['read_file'] })
    expect(res.status, await res.clone().text()).toBe(201)
    const task = (await res.json()) as { taskId: string; token: string }
    const authorize = async () => {
      const url = `${BASE}/v1/authorize`
      const proof = await who.key.proof('POST', url, { accessToken: task.token })
      return t.request('POST', '/v1/authorize', {
        admin: false,
        headers: { authorization: `DPoP ${task.token}`, dpop: proof },
        body: { action: 'tools/call', server: 'files', tool: 'read_file', args: { path: '/notes.txt' } },
      })
    }
    return { task, authorize }
  }

  it('refuses, on the next request, a task closed by another process on the same file', async () => {
    const { task, authorize } = await opened()
    // Positive control, twice: the second is served from what the first cached.
    for (let i = 0; i < 2; i++) {
      const res = await authorize()
      expect(res.status, await res.clone().text()).toBe(200)
      expect(((await res.json()) as { effect: string }).effect).toBe('allow')
    }
    await other.run(
      `UPDATE tasks SET status = 'closed', close_reason = 'elsewhere', closed_at = 1 WHERE id = ?`,
      [task.taskId],
    )
    expect((await authorize()).status).toBe(401)
  })

  it('denies, on the next request, a tool quarantined by another process on the same file', async () => {
    const { authorize } = await opened()
    const before = await authorize()
    expect(((await before.json()) as { effect: string }).effect).toBe('allow')
    await other.run(`UPDATE tools SET status = 'quarantined' WHERE server = 'files' AND name = 'read_file'`)
    const after = (await (await authorize()).json()) as { effect: string; errors: string[] }
    expect(after.effect).toBe('deny')
    expect(after.errors.join(' ')).toContain('quarantined')
    await other.run(`UPDATE tools SET status = 'approved' WHERE server = 'files' AND name = 'read_file'`)
    expect(((await (await authorize()).json()) as { effect: string }).effect).toBe('allow')
  })

  it('refuses, on the next request, an agent this node disabled (its own write drops what it cached)', async () => {
    const { authorize } = await opened()
    expect((await authorize()).status).toBe(200)
    expect((await t.request('POST', '/v1/agents/reader/disable')).status).toBeLessThan(300)
    expect((await authorize()).status).toBe(403)
    expect((await t.request('POST', '/v1/agents/reader/enable')).status).toBeLessThan(300)
    expect((await authorize()).status).toBe(200)
  })
})
