import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ReplayCache } from '../../src/identity/index.js'
import { createPostgresStore, migrate, SqliteStore, type Store } from '../../src/store/index.js'
import { FakeClock } from '../fakes/clock.js'
import { openPostgresTestStore, TEST_PG_URL } from '../fakes/postgres.js'

const LATER = Date.UTC(2030, 0, 1)

/** Claims `keys` in one event-loop turn (one batch), in order. */
const claimAll = (cache: ReplayCache, keys: readonly string[]) =>
  Promise.all(keys.map((key) => cache.claim(key, LATER)))

const stores: Array<[string, () => Promise<{ store: Store; dispose: () => Promise<void> }>]> = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'warden-replay-'))
      const store = new SqliteStore(join(dir, 'warden.db'))
      return {
        store,
        dispose: async () => {
          await store.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  ],
  ['postgres', openPostgresTestStore],
]

describe.each(stores)('ReplayCache on %s', (_name, open) => {
  const clock = new FakeClock()
  let store: Store
  let dispose: () => Promise<void>
  let cache: ReplayCache
  beforeEach(async () => {
    ;({ store, dispose } = await open())
    await migrate(store, clock.now())
    cache = new ReplayCache(store, clock)
  })
  afterEach(async () => dispose())

  it('claims a key once and refuses it after', async () => {
    expect(await cache.claim('k:1', LATER)).toBe(true)
    expect(await cache.claim('k:1', LATER)).toBe(false)
    expect(await cache.claim('k:2', LATER)).toBe(true)
  })

  it('refuses only the repeated key of a batch, whether repeated within it or from before', async () => {
    expect(await claimAll(cache, ['a', 'b', 'a', 'c'])).toEqual([true, true, false, true])
    expect(await claimAll(cache, ['d', 'b', 'e'])).toEqual([true, false, true])
  })

  it('answers claim by claim for a batch larger than one statement', async () => {
    const used = ['k7', 'k64', 'k99']
    expect(await claimAll(cache, used)).toEqual([true, true, true])
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    expect(await claimAll(cache, keys)).toEqual(keys.map((key) => !used.includes(key)))
  })

  it('forgets expired keys, so the table does not grow without end', async () => {
    await cache.claim('old', clock.now() + 1000)
    clock.advance('2m')
    // The first claim after a minute purges what expired.
    expect(await cache.claim('new', LATER)).toBe(true)
    expect(await store.all('SELECT jti FROM proof_jtis ORDER BY jti')).toEqual([{ jti: 'new' }])
  })
})

describe('ReplayCache on two nodes of one PostgreSQL', () => {
  const clock = new FakeClock()
  let first: Store
  let second: Store
  let dispose: () => Promise<void>
  beforeEach(async () => {
    let schema: string
    ;({ store: first, schema, dispose } = await openPostgresTestStore())
    await migrate(first, clock.now())
    second = createPostgresStore({ url: TEST_PG_URL, schema, max: 4 })
  })
  afterEach(async () => {
    await second.close()
    await dispose()
  })

  it('refuses on one node a key claimed on the other, and lets exactly one of two concurrent claims win', async () => {
    const a = new ReplayCache(first, clock)
    const b = new ReplayCache(second, clock)
    expect(await a.claim('proof:1', LATER)).toBe(true)
    expect(await b.claim('proof:1', LATER)).toBe(false)
    expect(await b.claim('proof:2', LATER)).toBe(true)
    expect(await a.claim('proof:2', LATER)).toBe(false)
    for (let i = 0; i < 20; i++) {
      const keys = [`race:${i}`, `only-a:${i}`]
      const [onA, onB] = await Promise.all([claimAll(a, keys), claimAll(b, [`race:${i}`, `only-b:${i}`])])
      expect([onA?.[0], onB?.[0]].filter(Boolean)).toHaveLength(1)
      expect([onA?.[1], onB?.[1]]).toEqual([true, true])
    }
  })
})
