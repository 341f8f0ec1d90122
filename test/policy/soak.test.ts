import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SOAK = fileURLToPath(new URL('../fixtures/decision-soak.mjs', import.meta.url))

describe('policy engine under a long run', () => {
  // Canary for the V8 11.3 workaround at the top of policy-engine.ts: without it, this loop on the built code
  // killed the process in V8's deoptimizer in about one run in five; three runs catch a regression most times.
  it('decides 30,000 requests in a row on the built code without the process dying, three times', () => {
    for (let round = 0; round < 3; round++) {
      const run = spawnSync(process.execPath, [SOAK], { encoding: 'utf8', timeout: 120_000 })
      expect(run.signal, run.stderr.slice(0, 500)).toBeNull()
      expect(run.status).toBe(0)
      expect(run.stdout).toMatch(/^ok \{"allow":30000,"deny":0,"escalate":0\}/)
    }
  }, 130_000)
})
