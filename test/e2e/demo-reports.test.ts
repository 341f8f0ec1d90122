import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ComplianceReport, PrivilegeReport } from '../../src/reports/index.js'
import { runCli } from '../fakes/process.js'

describe('warden demo --keep, then the reports on its data', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-demo-keep-'))
  const data = join(root, 'data')
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('leaves the data directory, and both reports run on it', async () => {
    const demo = await runCli(['demo', '--keep', data])
    expect(demo.code, demo.stderr).toBe(0)

    const privileges = await runCli(['report', 'privileges', '--data', data, '--format', 'json'])
    expect(privileges.code, privileges.stderr).toBe(0)
    const granted = JSON.parse(privileges.stdout) as PrivilegeReport
    expect(granted.usedPaths.map((p) => [p.agents.join(' > '), p.delegations])).toEqual([
      ['release-bot > summariser', 1],
    ])
    expect(granted.findings.unusedGrants.map((f) => `${f.agent}:${f.tool}`)).toEqual([
      'release-bot:list_directory',
      'summariser:read_text_file',
    ])

    const compliance = await runCli(['report', 'compliance', '--data', data, '--format', 'json'])
    expect(compliance.code, compliance.stderr).toBe(0)
    const evidence = JSON.parse(compliance.stdout) as ComplianceReport
    // Two reads and the requested write allowed, the planted write denied.
    expect(evidence.summary.decisions).toEqual({ allow: 3, deny: 1, escalate: 0 })
    expect(evidence.summary.signals).toEqual({ untrusted_provenance: 1 })
    expect(evidence.verification).toMatchObject({ checked: true, ok: true })
    expect(evidence.checkpoint?.coversPeriod).toBe(true)
  }, 120_000)
})
