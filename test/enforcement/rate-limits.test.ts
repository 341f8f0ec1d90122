import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RateLimits } from '../../src/enforcement/index.js'
import { migrate, SqliteStore, type Store } from '../../src/store/index.js'
import { FakeClock } from '../fakes/clock.js'

const CALL = { agent: 'mailer', server: 'mail', tool: 'send', task: 't1', taskEnds: Date.UTC(2027, 0, 1) }

describe('rate limits on the embedded store', () => {
  let dir: string
  let store: Store
  const clock = new FakeClock(Date.UTC(2026, 10, 29, 12, 0, 30))
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-limits-'))
    store = new SqliteStore(join(dir, 'warden.db'))
    await migrate(store, clock.now())
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses the call over a window’s limit until the next window, naming the seconds to wait', async () => {
    const limits = new RateLimits(store, clock, [{ per: 'agent', calls: 2, window: 60_000 }])
    expect(await limits.take(CALL)).toEqual({ agent: 1, tool: 0, task: 0 })
    expect(await limits.take({ ...CALL, task: 't2' })).toEqual({ agent: 2, tool: 0, task: 0 })
    await expect(limits.take(CALL)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { per: 'agent', retryAfterSeconds: 30 },
    })
    // Another agent has a counter of its own; the next window starts afresh.
    expect(await limits.take({ ...CALL, agent: 'other' })).toMatchObject({ agent: 1 })
    clock.advance('30s')
    expect(await limits.take(CALL)).toMatchObject({ agent: 1 })
  })

  it('takes nothing from any counter when one limit refuses the call', async () => {
    const limits = new RateLimits(store, clock, [
      { per: 'task', calls: 10 },
      { per: 'tool', calls: 1, window: 3_600_000, tools: ['send'] },
    ])
    expect(await limits.take(CALL)).toEqual({ agent: 0, tool: 1, task: 1 })
    await expect(limits.take(CALL)).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    await expect(limits.take(CALL)).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    // A tool the limit does not name counts only against the task's quota — which the refusals left at 1.
    expect(await limits.take({ ...CALL, tool: 'read' })).toEqual({ agent: 0, tool: 0, task: 2 })
  })
})
