import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SqliteStore } from '../../src/store/index.js'

/** Every WAL sync the store asks of the disk, by kind: on the event loop (`now`) or from the thread pool (`later`). */
const syncs = vi.hoisted(() => ({ now: 0, later: 0, fail: false }))

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  return {
    ...fs,
    fdatasyncSync: (fd: number) => {
      syncs.now += 1
      if (syncs.fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
      fs.fdatasyncSync(fd)
    },
    fdatasync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
      syncs.later += 1
      if (syncs.fail) done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
      else fs.fdatasync(fd, done)
    },
  }
})

describe('sqlite durability: one WAL sync per acknowledged commit', () => {
  let dir: string
  let stores: SqliteStore[]
  const open = async (durability: 'full' | 'normal') => {
    const store = new SqliteStore(join(dir, `${durability}.db`), { durability })
    stores.push(store)
    await store.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)')
    syncs.now = 0
    syncs.later = 0
    return store
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-durability-'))
    stores = []
    syncs.fail = false
  })
  afterEach(async () => {
    syncs.fail = false
    for (const store of stores) await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('full: a write or a transaction is synced before it returns; a relaxed write is not', async () => {
    const store = await open('full')
    await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])
    expect(syncs).toMatchObject({ now: 1, later: 0 })
    await store.transaction(async (tx) => {
      await tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['b', 2])
      await tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['c', 3])
    })
    expect(syncs).toMatchObject({ now: 2, later: 0 })
    await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['r', 1], { relaxed: true })
    expect(syncs).toMatchObject({ now: 2, later: 0 })
  })

  it('full: a write that changed no row is not synced (nothing to make durable); one that changed a row is', async () => {
    const store = await open('full')
    expect(await store.run('UPDATE kv SET v = 2 WHERE k = ?', ['missing'])).toBe(0)
    expect(await store.run('DELETE FROM kv WHERE v < 0')).toBe(0)
    expect(syncs).toMatchObject({ now: 0, later: 0 })
    // Positive control: the same statements, matching a row, are synced before they return.
    await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1], { relaxed: true })
    expect(await store.run('UPDATE kv SET v = 2 WHERE k = ?', ['a'])).toBe(1)
    expect(syncs).toMatchObject({ now: 1, later: 0 })
    // A statement that is not a row write (its effect is not counted in `changes`) is synced as before.
    await store.run('CREATE TABLE other (x INTEGER)')
    expect(syncs).toMatchObject({ now: 2, later: 0 })
  })

  it('full: a deferred transaction is synced by flush(), off the event loop, and concurrent flushes share a sync', async () => {
    const store = await open('full')
    await store.transaction((tx) => tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['d', 1]), {
      flush: 'later',
    })
    expect(syncs).toMatchObject({ now: 0, later: 0 })
    await Promise.all([store.flush(), store.flush(), store.flush()])
    // The first runs at once; the other two queue behind it and share one more.
    expect(syncs).toMatchObject({ now: 0, later: 2 })
  })

  it('normal: nothing is synced', async () => {
    const store = await open('normal')
    await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])
    await store.transaction((tx) => tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['b', 2]))
    await store.flush()
    expect(syncs).toMatchObject({ now: 0, later: 0 })
  })

  it('a sync the disk refuses is an error the caller hears, and no write is acknowledged after it (reads go on)', async () => {
    const store = await open('full')
    await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])
    syncs.fail = true
    await store.transaction((tx) => tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['b', 1]), {
      flush: 'later',
    })
    await expect(store.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    // The disk may report the next sync as a success though the pages it failed are gone: nothing is trusted.
    syncs.fail = false
    const before = { ...syncs }
    for (const write of [
      () => store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['c', 1]),
      () => store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['d', 1], { relaxed: true }),
      () => store.transaction((tx) => tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['e', 1])),
      () => store.flush(),
    ])
      await expect(write()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(syncs).toMatchObject({ now: before.now, later: before.later })
    expect(await store.all('SELECT k FROM kv ORDER BY k')).toEqual([{ k: 'a' }, { k: 'b' }])
  })

  it('a transaction that cannot begin releases the store: later calls fail at once instead of waiting forever', async () => {
    const store = await open('normal')
    stores.pop() // its connection is closed under it: nothing to close after the test
    ;(store as unknown as { db: { close(): void } }).db.close()
    await expect(
      store.transaction((tx) => tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])),
    ).rejects.toThrow()
    await expect(store.get('SELECT 1')).rejects.toThrow()
  }, 5_000)

  it('a flush after close is refused, and opens nothing', async () => {
    const store = await open('full')
    await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])
    await store.close()
    const before = { ...syncs }
    await expect(store.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(syncs).toMatchObject(before)
  })
})
