import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { canonicalJson, parsePublicKey, REDACTED, verifyChain } from '../../src/chain/index.js'
import { isWardenError } from '../../src/kernel/index.js'
import { createPostgresStore } from '../../src/store/index.js'
import { openPostgresTestStore, TEST_PG_URL } from '../fakes/postgres.js'
import { controlledStore, type FlushControl } from '../fakes/store.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

describe('activity chain', () => {
  let t: TestWarden
  beforeEach(async () => {
    t = await startTestWarden()
  })
  afterEach(() => t.dispose())

  // A signed checkpoint first: a chain no checkpoint vouches for is not intact.
  const verify = async () => {
    await t.warden.chain.checkpoint()
    return verifyChain(
      t.warden.chain,
      parsePublicKey(readFileSync(join(t.dataDir, 'keys', 'chain-public.pem'), 'utf8')),
    )
  }

  it('redacts credentials before hashing and records what it redacted', async () => {
    const event = await t.warden.chain.append({
      kind: 'tool.call',
      task: 'task-1',
      body: {
        tool: 'http_request',
        arguments: {
          url: 'https://api.example',
          headers: { Authorization: 'Bearer abcdefghijklmnopqrstuvwxyz' },
          password: 'hunter2',
        },
        note: 'token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl in text',
      },
    })
    const stored = JSON.stringify(event)
    expect(stored).not.toContain('hunter2')
    expect(stored).not.toContain('abcdefghijklmnop')
    expect(stored).not.toContain('eyJhbGciOiJFUzI1NiJ9')
    expect(event.redacted.sort()).toEqual([
      '/body/arguments/headers/Authorization',
      '/body/arguments/password',
      '/body/note',
    ])
    expect((event.body.arguments as { password: string }).password).toBe(REDACTED)
    expect((await verify()).ok).toBe(true)
  })

  it('group-commits concurrent appends into one gap-free chain', async () => {
    const events = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        t.warden.chain.append({ kind: 'tool.call', task: `t${i % 5}`, body: { i } }),
      ),
    )
    const seqs = events.map((e) => e.seq).sort((a, b) => a - b)
    expect(seqs[seqs.length - 1]! - seqs[0]! + 1).toBe(500)
    expect(new Set(seqs).size).toBe(500)
    const verdict = await verify()
    expect(verdict.ok).toBe(true)
  })

  it('on PostgreSQL, extends one gap-free chain from two nodes, each append committed before its flush', async () => {
    const pg = await openPostgresTestStore()
    const second = createPostgresStore({ url: TEST_PG_URL, schema: pg.schema, max: 4 })
    const a = await startTestWarden({}, { store: () => pg.store })
    const b = await startTestWarden({}, { dataDir: a.dataDir, store: () => second })
    try {
      const append = (node: TestWarden, i: number) =>
        node.warden.chain.append({ kind: 'tool.call', task: `t${i % 3}`, body: { i } }, { until: 'commit' })
      const events = await Promise.all(Array.from({ length: 200 }, (_, i) => append(i % 2 ? a : b, i)))
      await Promise.all([a.warden.chain.onDisk(), b.warden.chain.onDisk()])
      const seqs = events.map((e) => e.seq).sort((x, y) => x - y)
      expect(new Set(seqs).size).toBe(200)
      await a.warden.chain.checkpoint()
      const verdict = await verifyChain(
        a.warden.chain,
        parsePublicKey(readFileSync(join(a.dataDir, 'keys', 'chain-public.pem'), 'utf8')),
      )
      expect(verdict.ok, JSON.stringify(verdict)).toBe(true)
    } finally {
      await b.dispose()
      await a.dispose()
      await pg.dispose()
    }
  })

  it('answers queries by task, agent (with its instances), kind and time, paginated by seq', async () => {
    const agentId = 'spiffe://warden.local/agent/billing'
    await t.warden.chain.append({ kind: 'tool.call', task: 'a', agent: `${agentId}/i1`, body: {} })
    t.clock.advance('1m')
    const since = t.clock.now()
    await t.warden.chain.append({ kind: 'tool.result', task: 'a', agent: `${agentId}/i1`, body: {} })
    await t.warden.chain.append({ kind: 'tool.call', task: 'b', agent: `${agentId}/i2`, body: {} })
    await t.warden.chain.append({
      kind: 'tool.call',
      task: 'c',
      agent: 'spiffe://warden.local/agent/billing-two/i3',
      body: {},
    })

    const kinds = async (query: string) => {
      const res = await t.request('GET', `/v1/events?${query}`)
      expect(res.status).toBe(200)
      return ((await res.json()) as { events: Array<{ kind: string; task: string }> }).events.map(
        (e) => `${e.task}:${e.kind}`,
      )
    }
    expect(await kinds('task=a')).toEqual(['a:tool.call', 'a:tool.result'])
    expect(await kinds(`agent=${encodeURIComponent(agentId)}`)).toEqual(
      expect.arrayContaining(['a:tool.call', 'a:tool.result', 'b:tool.call']),
    )
    expect(await kinds(`agent=${encodeURIComponent(agentId)}`)).not.toContain('c:tool.call')
    expect(await kinds(`kind=tool.call&since=${since}`)).toEqual(['b:tool.call', 'c:tool.call'])
    expect(await kinds(`since=${new Date(since).toISOString()}&task=a`)).toEqual(['a:tool.result'])

    const first = (await (await t.request('GET', '/v1/tasks/a/chain?limit=1')).json()) as {
      events: []
      next: number
    }
    expect(first.events).toHaveLength(1)
    const second = (await (
      await t.request('GET', `/v1/tasks/a/chain?limit=1&after=${first.next}`)
    ).json()) as {
      events: Array<{ kind: string }>
    }
    expect(second.events.map((e) => e.kind)).toEqual(['tool.result'])
    expect((await t.request('GET', '/v1/events?kind=not.a.kind')).status).toBe(400)
  })

  it('rejects appends with STORE_UNAVAILABLE when the store fails, and loses none it acknowledged', async () => {
    const ok = await t.warden.chain.append({ kind: 'tool.call', body: { n: 1 } })
    await t.warden.store.run('DROP TABLE chain_events')
    const failure = await t.warden.chain
      .append({ kind: 'tool.call', body: { n: 2 } })
      .catch((error: unknown) => error)
    expect(isWardenError(failure, 'STORE_UNAVAILABLE')).toBe(true)
    expect(ok.seq).toBeGreaterThan(0)
  })

  it('hashes exactly the canonical JSON of the event without its hash', async () => {
    const event = await t.warden.chain.append({
      kind: 'decision',
      task: 'x',
      body: { z: 1, a: ['é', { q: null }] },
    })
    const { hash, ...rest } = event
    expect(createHash('sha256').update(canonicalJson(rest)).digest('hex')).toBe(hash)
  })

  it('hashes canonical JSON: key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: true } })).toBe(
      '{"a":{"c":true,"d":[1,{"y":"x","z":null}]},"b":1}',
    )
  })
})

describe('summarizeOutput', () => {
  it('keeps a digest, the size and a masked excerpt, never the whole output', async () => {
    const { summarizeOutput } = await import('../../src/chain/index.js')
    const output = `config loaded; api key sk-abcdefghijklmnopqrstuvwx and more ${'x'.repeat(500)}`
    const summary = summarizeOutput(output, ['internal'], 60)
    expect(summary.size).toBe(Buffer.byteLength(output))
    expect(summary.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(summary.excerpt).toContain('[redacted]')
    expect(summary.excerpt).not.toContain('sk-abcdefgh')
    expect(summary.labels).toEqual(['internal'])
  })
})

describe('activity chain: commit, then the disk flush', () => {
  let t: TestWarden
  let disk: FlushControl
  beforeEach(async () => {
    t = await startTestWarden(
      {},
      {
        store: (dir) => {
          disk = controlledStore(dir)
          return disk.store
        },
      },
    )
  })
  afterEach(async () => {
    disk.release()
    await t.dispose()
  })

  /** Whether `promise` has settled by the time a macrotask has run (commits take one setImmediate hop). */
  const settledSoon = async (promise: Promise<unknown>) => {
    let settled = false
    promise.then(
      () => (settled = true),
      () => (settled = true),
    )
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    return settled
  }

  it('acknowledges an append only once its record is on disk, unless asked for the commit only', async () => {
    const { chain } = t.warden
    disk.hold()
    const durable = chain.append({ kind: 'tool.call', task: 'a', body: { n: 1 } })
    const committed = chain.append({ kind: 'tool.call', task: 'a', body: { n: 2 } }, { until: 'commit' })
    const flushed = chain.onDisk()
    expect((await committed).seq).toBeGreaterThan(0)
    // Committed: this node's reads see both records while the flush is still held.
    expect((await chain.query({ task: 'a' })).map((e) => e.body.n)).toEqual([1, 2])
    expect(await settledSoon(durable)).toBe(false)
    expect(await settledSoon(flushed)).toBe(false)
    disk.release()
    expect((await durable).seq).toBe((await committed).seq - 1)
    await flushed
  })

  it('fails an append and onDisk() when the flush fails, with STORE_UNAVAILABLE (fail closed)', async () => {
    const { chain } = t.warden
    disk.hold()
    const durable = chain.append({ kind: 'tool.call', body: { n: 1 } })
    const committed = chain.append({ kind: 'tool.call', body: { n: 2 } }, { until: 'commit' })
    await committed
    const flushed = chain.onDisk()
    disk.fail(new Error('EIO: the disk refused'))
    for (const pending of [durable, flushed]) {
      const failure = await pending.catch((error: unknown) => error)
      expect(isWardenError(failure, 'STORE_UNAVAILABLE'), String(failure)).toBe(true)
    }
  })

  it('commits a lazy append with the next append, in one transaction, and on its own when none follows', async () => {
    const { chain } = t.warden
    await chain.append({ kind: 'tool.call', body: { n: 0 } })
    const before = disk.transactions
    const lazy = chain.append({ kind: 'tool.result', body: { n: 1 } }, { lazy: true })
    await new Promise((resolve) => setImmediate(resolve))
    const next = chain.append({ kind: 'decision', body: { n: 2 } })
    await Promise.all([lazy, next])
    expect(disk.transactions - before).toBe(1)
    expect((await next).seq).toBe((await lazy).seq + 1)

    const alone = chain.append({ kind: 'tool.result', body: { n: 3 } }, { lazy: true })
    expect((await alone).body.n).toBe(3)
  })
})
