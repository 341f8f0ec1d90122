import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChainRow, canonicalJson, eventHash } from '../../src/chain/index.js'
import { buildChainFixture, copyDataDir } from '../fakes/chain-fixture.js'
import { runCli } from '../fakes/process.js'

const CORPUS = new URL('../corpus/chain/', import.meta.url).pathname
const cases = readdirSync(CORPUS)

interface Expected {
  exit: number
  seq?: number
  damage?: string
  rehashFrom?: number
}

/** An attacker with write access who recomputes every link after their edit (but has no signing key). */
function rehash(db: Database.Database, from: number): void {
  const rows = db.prepare('SELECT * FROM chain_events WHERE seq >= ? ORDER BY seq').all(from) as ChainRow[]
  let prev = (db.prepare('SELECT hash FROM chain_events WHERE seq = ?').get(from - 1) as { hash: string })
    .hash
  const update = db.prepare('UPDATE chain_events SET prev = ?, hash = ? WHERE seq = ?')
  for (const row of rows) {
    const hash = eventHash({ ...row, prev })
    update.run(prev, hash, row.seq)
    prev = hash
  }
  db.prepare('UPDATE chain_head SET hash = ? WHERE id = 1').run(prev)
}

describe('warden chain verify on tampered chains', () => {
  let fixture: string
  beforeAll(async () => {
    fixture = await buildChainFixture()
  })
  afterAll(() => rmSync(fixture, { recursive: true, force: true }))

  it('maps every corpus folder', () => {
    for (const name of cases) {
      expect([
        name,
        existsSync(join(CORPUS, name, 'tamper.sql')),
        existsSync(join(CORPUS, name, 'expected.json')),
      ]).toEqual([name, true, true])
    }
  })

  for (const name of cases) {
    it(`${name}: detected and named`, async () => {
      const expected = JSON.parse(readFileSync(join(CORPUS, name, 'expected.json'), 'utf8')) as Expected
      const dir = copyDataDir(fixture)
      try {
        const db = new Database(join(dir, 'warden.db'))
        db.exec(readFileSync(join(CORPUS, name, 'tamper.sql'), 'utf8'))
        if (expected.rehashFrom) rehash(db, expected.rehashFrom)
        db.close()
        // The public key comes from outside the tampered directory.
        const result = await runCli([
          'chain',
          'verify',
          '--data',
          dir,
          '--public-key',
          join(fixture, 'keys', 'chain-public.pem'),
        ])
        expect(result.code, result.stderr).toBe(expected.exit)
        if (expected.exit === 0) {
          expect(result.stdout).toContain('chain intact: 25 records')
        } else {
          expect(result.stdout).toContain(`chain damaged at seq ${expected.seq}: ${expected.damage}:`)
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }

  it('refuses a public key other than the deployment key', async () => {
    const other = await buildChainFixture()
    try {
      const result = await runCli([
        'chain',
        'verify',
        '--data',
        fixture,
        '--public-key',
        join(other, 'keys', 'chain-public.pem'),
      ])
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('checkpoint_forged')
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })

  it('verifies from a given seq', async () => {
    const result = await runCli(['chain', 'verify', '--data', fixture, '--from', '11'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('chain intact: 15 records')
  })
})

describe('warden chain export and show', () => {
  let fixture: string
  beforeAll(async () => {
    fixture = await buildChainFixture()
  })
  afterAll(() => rmSync(fixture, { recursive: true, force: true }))

  it('exports every record as a JSON line whose hash recomputes from the line alone', async () => {
    const result = await runCli(['chain', 'export', '--data', fixture])
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines).toHaveLength(25)
    for (const { hash, ...rest } of lines) {
      expect(createHash('sha256').update(canonicalJson(rest)).digest('hex')).toBe(hash)
    }
  })

  it("shows one task's activity in order", async () => {
    const result = await runCli(['chain', 'show', 'task-a', '--json', '--data', fixture])
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { task: string; seq: number })
    expect(events).toHaveLength(12)
    expect(events.every((e) => e.task === 'task-a')).toBe(true)
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b))
  })

  it('refuses a data directory without a database', async () => {
    const result = await runCli(['chain', 'verify', '--data', join(fixture, 'nothing-here')])
    expect(result.code).toBe(5) // docs/cli.md: the store cannot be reached
    expect(result.stderr).toContain('STORE_UNAVAILABLE')
  })
})
