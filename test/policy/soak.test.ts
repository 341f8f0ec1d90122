import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SOAK = fileURLToPath(new URL('../fixtures/decision-soak.mjs', import.meta.url))

describe('policy engine under a long run', () => {
  // Regression: on Node 20.20 (V8 11.3) this loop, run on the built code, crashed the whole process in V8's
  // deoptimizer ("unreachable code") while the Cedar call sat in a closure; see callCedar in policy-engine.ts.
  it('decides 30,000 requests in a row on the built code without the process dying', () => {
    const run = spawnSync(process.execPath, [SOAK], { encoding: 'utf8', timeout: 120_000 })
    expect(run.signal, run.stderr.slice(0, 500)).toBeNull()
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^ok \{"allow":30000,"deny":0,"escalate":0\}/)
  }, 130_000)
})
