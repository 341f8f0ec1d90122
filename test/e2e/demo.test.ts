import { describe, expect, it } from 'vitest'
import { runCli } from '../fakes/process.js'

describe('warden demo', () => {
  it('runs the scripted scenario against a real MCP server and shows each control at work', async () => {
    const result = await runCli(['demo'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/spiffe:\/\/warden\.local\/agent\/release-bot\/[a-z2-7]{16}/)
    expect(result.stdout).toMatch(/write_file leak\/collected\.txt → DENIED {2}signals: untrusted_provenance/)
    expect(result.stdout).toContain('write_file docs/notes.txt → allowed')
    expect(result.stdout).toContain('refused: SCOPE_WIDENED')
    expect(result.stdout).toContain('the old task token → TASK_CLOSED')
    expect(result.stdout).toMatch(/chain intact: \d+ records/)
    // Not in a terminal: it prints the console's sign-in link and exits instead of serving on.
    expect(result.stdout).toMatch(/Console: http:\/\/127\.0\.0\.1:\d+\/console\/sign-in#token=/)
  }, 60_000)
})
