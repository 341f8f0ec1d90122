import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MIGRATIONS, migrate, type Store } from '../../src/store/index.js'

/** The behaviour every Store implementation must show; run by each implementation's test file. */
export function runStoreContract(
  name: string,
  open: () => Promise<{ store: Store; dispose: () => Promise<void> }>,
) {
  describe(`Store contract: ${name}`, () => {
    let store: Store
    let dispose: () => Promise<void>

    beforeEach(async () => {
      ;({ store, dispose } = await open())
      await migrate(store, 1)
      await store.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)')
    })
    afterEach(async () => dispose())

    it('applies each migration once', async () => {
      expect(await migrate(store, 2)).toEqual([])
      const rows = await store.all<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      )
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version))
    })

    it('round-trips rows with BIGINT values as numbers', async () => {
      await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1_790_000_000_000])
      expect(await store.get('SELECT k, v FROM kv WHERE k = ?', ['a'])).toEqual({
        k: 'a',
        v: 1_790_000_000_000,
      })
      expect(await store.get('SELECT k FROM kv WHERE k = ?', ['missing'])).toBeUndefined()
    })

    it('returns rows as arrays of values in select order', async () => {
      await store.run('INSERT INTO kv (k, v) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2])
      expect(await store.values('SELECT v, k FROM kv ORDER BY k')).toEqual([
        [1, 'a'],
        [2, 'b'],
      ])
    })

    it('writes with relaxed durability, and keeps full durability for the next write', async () => {
      expect(await store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['r', 1], { relaxed: true })).toBe(1)
      expect(await store.get('SELECT v FROM kv WHERE k = ?', ['r'])).toEqual({ v: 1 })
      if (store.dialect === 'postgres') {
        expect(await store.get(`SELECT current_setting('synchronous_commit') AS s`)).toEqual({ s: 'on' })
      }
    })

    it('commits a transaction whose disk flush is deferred, and flushes it on demand', async () => {
      const inside = await store.transaction(
        async (tx) => {
          await tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['d', 1])
          return store.dialect === 'postgres'
            ? tx.get(`SELECT current_setting('synchronous_commit') AS s`)
            : undefined
        },
        { flush: 'later' },
      )
      expect(await store.get('SELECT v FROM kv WHERE k = ?', ['d'])).toEqual({ v: 1 })
      await Promise.all([store.flush(), store.flush()])
      if (store.dialect === 'postgres') {
        // The commit returned before its WAL flush; the next transaction is synchronous again.
        expect(inside).toEqual({ s: 'off' })
        // And the flush reaches past it: the WAL is on disk up to where the deferred commit was written.
        for (let i = 0; i < 5; i++) {
          await store.transaction((tx) => tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', [`f${i}`, i]), {
            flush: 'later',
          })
          const written = await store.get<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')
          await store.flush()
          expect(
            await store.get('SELECT pg_current_wal_flush_lsn() >= ?::pg_lsn AS flushed', [
              written?.lsn ?? '',
            ]),
          ).toEqual({ flushed: true })
        }
        expect(
          await store.transaction((tx) => tx.get(`SELECT current_setting('synchronous_commit') AS s`)),
        ).toEqual({ s: 'on' })
      }
    })

    it('reports zero changes for a conflicting insert with ON CONFLICT DO NOTHING', async () => {
      expect(await store.run('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING', ['a', 1])).toBe(1)
      expect(await store.run('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING', ['a', 2])).toBe(0)
    })

    it('rolls a transaction back when its work throws', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      expect(await store.all('SELECT * FROM kv')).toEqual([])
    })

    it('keeps statements from outside a transaction out of it', async () => {
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const tx = store.transaction(async (t) => {
        await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['in', 1])
        await gate
        throw new Error('rollback')
      })
      const outside = store.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['out', 2])
      release()
      await expect(tx).rejects.toThrow('rollback')
      await outside
      const keys = (await store.all<{ k: string }>('SELECT k FROM kv ORDER BY k')).map((r) => r.k)
      expect(keys).toEqual(['out'])
    })
  })
}
