import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runPolicyTests } from '../../src/policy/index.js'
import { runCli } from '../fakes/process.js'

const POLICIES = `
@id("permit-declared")
permit (principal, action in Warden::Action::"call_tool", resource is Warden::Tool)
when { context.task.declared };

@id("forbid-restricted")
forbid (principal, action, resource)
when { context.sensitivity == "restricted" };

@id("forbid-risky")
forbid (principal, action, resource)
when { context.risk > 50 }
unless { context.approval.granted };
`

const TOOLS = {
  files: [
    {
      name: 'read_file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      annotations: { readOnlyHint: true },
    },
    {
      name: 'stat_file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      annotations: { readOnlyHint: true },
    },
  ],
}

const read = { server: 'files', tool: 'read_file', args: { path: '/a' } }

/** Cases that leave `forbid-restricted` never applying and the `unless` of `forbid-risky` never deciding. */
const CASES = [
  { name: 'a declared read at no risk is allowed', request: read, expect: 'allow' },
  { name: 'a risky read is denied', request: read, risk: 80, expect: 'deny' },
  {
    name: 'an undeclared tool is denied',
    task: { tools: ['read_file'] },
    request: { server: 'files', tool: 'stat_file', args: { path: '/a' } },
    expect: 'deny',
  },
]

/** The cases that exercise both (the positive control): an approved risky read, a read of restricted data. */
const MORE = [
  {
    name: 'a risky read a human approved is allowed',
    request: read,
    risk: 80,
    approved: true,
    expect: 'allow',
  },
  {
    name: 'restricted data is refused',
    request: { server: 'files', resource: 'file:///payroll', sensitivity: 'restricted' },
    expect: 'deny',
  },
]

const sources = [{ file: 'set.cedar', text: POLICIES }]

describe('policy test coverage', () => {
  it('finds a policy no case makes apply and a clause no case shows deciding, and flags no tested one', () => {
    const { results, coverage } = runPolicyTests(
      sources,
      [{ file: 't.json', content: { tools: TOOLS, cases: CASES } }],
      { coverage: true },
    )
    expect(results.every((r) => r.passed)).toBe(true)
    expect(coverage?.untestedPolicies).toEqual(['set.cedar#forbid-restricted'])
    expect(coverage?.untestedClauses.map((c) => `${c.policy} ${c.kind} #${c.index}`)).toEqual([
      'set.cedar#forbid-risky unless #2',
    ])
    const risky = coverage?.policies.find((p) => p.id === 'set.cedar#forbid-risky')
    // The no-risk read is stopped by the `when` alone; the risky read applies the policy.
    expect(risky?.applied).toBe(1)
    expect(risky?.clauses.map((c) => [c.kind, c.holds, c.stops])).toEqual([
      ['when', 1, 2],
      ['unless', 1, 0],
    ])
    expect(coverage?.policies.find((p) => p.id === 'set.cedar#permit-declared')?.clauses[0]?.stops).toBe(1)
  })

  it('no longer flags the clause or the policy once cases exercise them', () => {
    const { coverage } = runPolicyTests(
      sources,
      [{ file: 't.json', content: { tools: TOOLS, cases: [...CASES, ...MORE] } }],
      { coverage: true },
    )
    expect(coverage?.untestedClauses).toEqual([])
    expect(coverage?.untestedPolicies).toEqual([])
  })

  const root = mkdtempSync(join(tmpdir(), 'warden-coverage-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('prints results and coverage as JSON, and runs one case by name', async () => {
    mkdirSync(join(root, 'tests'), { recursive: true })
    writeFileSync(join(root, 'set.cedar'), POLICIES)
    writeFileSync(join(root, 'tests', 't.json'), JSON.stringify({ tools: TOOLS, cases: CASES }))
    const all = await runCli(['policy', 'test', root, '--json'])
    expect(all.code, all.stderr).toBe(0)
    const report = JSON.parse(all.stdout) as {
      passed: number
      failed: number
      coverage: { untestedPolicies: string[]; untestedClauses: Array<{ policy: string; kind: string }> }
    }
    expect(report.passed).toBe(3)
    expect(report.coverage.untestedPolicies).toEqual(['set.cedar#forbid-restricted'])
    expect(report.coverage.untestedClauses).toMatchObject([
      { policy: 'set.cedar#forbid-risky', kind: 'unless' },
    ])

    const one = await runCli(['policy', 'test', root, '--json', '--case', 'a risky read is denied'])
    expect((JSON.parse(one.stdout) as { passed: number }).passed).toBe(1)
    const filtered = await runCli(['policy', 'test', root, 'risky'])
    expect(filtered.stdout).toContain('1 passed, 0 failed')
    const none = await runCli(['policy', 'test', root, '--case', 'no such case'])
    expect(none.code).toBe(1)

    const text = await runCli(['policy', 'test', root, '--coverage'])
    expect(text.stdout).toContain('untested policy  set.cedar#forbid-restricted')
    expect(text.stdout).toMatch(/untested clause {2}set\.cedar#forbid-risky unless #2/)
  }, 60_000)
})
