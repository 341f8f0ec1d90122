import { describe, expect, it } from 'vitest'
import { TEST_PG_URL } from '../fakes/postgres.js'
import { runCli } from '../fakes/process.js'

describe('warden demo --nodes 2', () => {
  it('runs two serve processes on one PostgreSQL and shows what holds across them', async () => {
    const result = await runCli(['demo', '--nodes', '2', '--store', TEST_PG_URL])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('one JWKS on every node')
    expect(result.stdout).toMatch(
      /node 2: write_file leak\/collected\.txt → DENIED {2}signals: untrusted_provenance/,
    )
    expect(result.stdout).toContain('node 2: write_file docs/notes.txt → allowed')
    expect(result.stdout).toContain('node 1: the task token → TASK_CLOSED')
    expect(result.stdout).toMatch(/chain intact: \d+ records from 2 nodes/)
  }, 180_000)
})
