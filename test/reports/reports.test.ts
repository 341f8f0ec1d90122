import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCheckpointSigned, parsePublicKey } from '../../src/chain/index.js'
import type { ComplianceReport, PrivilegeReport } from '../../src/reports/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { runCli } from '../fakes/process.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'
import { type ScriptedRun, scriptedRun } from './scripted-run.js'

/** Every number below is what `scriptedRun` did (see its doc comment). */
describe('reports on a scripted run', () => {
  let t: TestWarden
  let run: ScriptedRun
  let privileges: PrivilegeReport
  let compliance: ComplianceReport

  const get = async <T>(path: string, headers: Record<string, string> = {}) => {
    const res = await t.request('GET', path, { headers })
    expect(res.status, await res.clone().text()).toBe(200)
    return (await res.json()) as T
  }

  beforeAll(async () => {
    t = await startTestWarden({}, { clock: new ShiftedClock() })
    run = await scriptedRun(t)
    privileges = await get<PrivilegeReport>('/v1/reports/privileges')
    compliance = await get<ComplianceReport>('/v1/reports/compliance')
  }, 90_000)
  afterAll(async () => {
    await t?.dispose()
  })

  it('ran the script as written', () => {
    expect(run.decisions.map((d) => `${d.agent}:${d.tool}:${d.effect}`)).toEqual([
      'lead:read_doc:allow',
      'lead:write_doc:allow',
      'lead:delete_doc:escalate',
      'lead:delete_doc:allow',
      'lead:delete_doc:escalate',
      'lead:delete_doc:deny',
      'worker:write_doc:allow',
      'reader:read_doc:allow',
      'reader:write_doc:deny',
      'worker:write_doc:deny',
      'worker:read_doc:allow',
    ])
  })

  it('counts each entitlement’s use against what its tier template grants', () => {
    const table = Object.fromEntries(
      privileges.agents.map((a) => [
        a.agent,
        a.entitlements.map((e) => `${e.tool}:${e.effect}:${e.allowed}/${e.denied}/${e.escalated}`),
      ]),
    )
    expect(table).toEqual({
      idle: ['read_doc:allow:0/0/0'],
      lead: [
        'read_doc:allow:1/0/0',
        'write_doc:allow:1/0/0',
        'delete_doc:escalate:1/1/2',
        'send_mail:escalate:0/0/0',
      ],
      reader: ['read_doc:allow:1/0/0'],
      scout: ['read_doc:allow:0/0/0', 'write_doc:deny:0/0/0'],
      worker: ['read_doc:allow:1/0/0', 'write_doc:deny:1/1/0'],
    })
  })

  it('walks every delegation path the registry allows, narrowed in scope and hardened in tier', () => {
    const paths = privileges.agents.flatMap((a) =>
      a.paths.map(
        (p) => `${p.agents.join('>')}@${p.tier}:${p.tools.map((x) => `${x.tool}=${x.effect}`).join(',')}`,
      ),
    )
    expect(paths.sort()).toEqual(
      [
        'lead>worker@high:read_doc=allow,write_doc=allow',
        'lead>worker>reader@high:read_doc=allow',
        'lead>reader@high:read_doc=allow',
        'scout>lead@high:read_doc=allow,write_doc=allow',
        'scout>lead>worker@high:read_doc=allow,write_doc=allow',
        // Depth 3 is the default limit: the longest path is still within it.
        'scout>lead>worker>reader@high:read_doc=allow',
        'scout>lead>reader@high:read_doc=allow',
        'worker>reader@standard:read_doc=allow',
      ].sort(),
    )
    expect(privileges.maxDelegationDepth).toBe(3)
  })

  it('lists the delegation paths used, with their calls and the records that show them', () => {
    expect(
      privileges.usedPaths.map((p) => [
        p.agents.join('>'),
        p.delegations,
        p.calls,
        p.tools,
        p.reviewed,
        p.examples,
      ]),
    ).toEqual([
      ['lead>worker', 1, 1, ['write_doc'], true, [run.delegations[0]]],
      ['lead>worker>reader', 1, 1, ['read_doc'], false, [run.delegations[1]]],
    ])
  })

  it('finds unused grants, unreviewed paths and reach beyond the tier template', () => {
    const { findings } = privileges
    expect(findings.unusedGrants.map((f) => `${f.agent}:${f.tool}`)).toEqual([
      'idle:read_doc',
      'lead:send_mail',
      'scout:read_doc',
      'scout:write_doc',
    ])
    expect(findings.unusedDelegations.map((f) => `${f.from}>${f.to}`)).toEqual(['lead>reader', 'scout>lead'])
    expect(findings.unreviewedPaths.map((p) => p.agents.join('>'))).toEqual(['lead>worker>reader'])
    // scout (low) may not write on its own tasks, but through lead (high) it can.
    expect(findings.exceedsTier).toEqual([
      {
        agent: 'scout',
        tier: 'low',
        tool: 'write_doc',
        own: 'deny',
        reached: 'allow',
        via: ['scout > lead', 'scout > lead > worker'],
      },
    ])
    // worker (low) writes only as lead's delegate — the chain shows it did (allowed once, denied on its own task).
    expect(findings.lowTierOnlyViaDelegation).toEqual([
      {
        agent: 'scout',
        role: 'root',
        tool: 'write_doc',
        reached: 'allow',
        via: ['scout > lead', 'scout > lead > worker'],
      },
      {
        agent: 'worker',
        role: 'delegate',
        tool: 'write_doc',
        reached: 'allow',
        via: ['lead > worker', 'scout > lead > worker'],
      },
    ])
  })

  it('treats a path listed as reviewed as reviewed', async () => {
    const reviewed = await get<PrivilegeReport>(
      `/v1/reports/privileges?reviewed=${encodeURIComponent('lead > worker > reader')}`,
    )
    expect(reviewed.findings.unreviewedPaths).toEqual([])
    expect(privileges.findings.unreviewedPaths).toHaveLength(1)
  })

  it('counts decisions, approvals and their answers, signals and revocations', () => {
    expect(compliance.summary.decisions).toEqual({ allow: 6, deny: 3, escalate: 2 })
    expect(compliance.summary.approvals).toEqual({ requested: 2, approved: 1, used: 1, denied: 1 })
    expect(compliance.summary.signals).toEqual({ credential_reuse: 1 })
    // lead's task closed with its two descendants, then worker's own: 4 tasks, 4 tokens.
    expect(compliance.summary.revocations).toEqual({ 'task.close': 4, 'token.revoke': 4 })
  })

  it('gives each control the evidence the run left', () => {
    const counts = Object.fromEntries(compliance.controls.map((c) => [c.control, c.count]))
    expect(counts).toMatchObject({
      'agent-registry': 5,
      'declared-intent': 4,
      'narrowing-delegation': 2,
      'policy-decisions': 11,
      // Two escalations of delete_doc at tier high, the refused one denied, worker's write denied at tier low.
      'tier-templates': 4,
      // Two escalations, and five approval records: requested ×2, approved, used, denied.
      'human-approval': 7,
      'argument-validation': 11,
      revocation: 8,
      credential_reuse: 1,
      unsourced_value: 0,
      'tool-pinning': 0,
      'secret-leases': 0,
    })
    const byKind = Object.fromEntries(compliance.controls.map((c) => [c.control, c.byKind]))
    expect(byKind['policy-decisions']).toEqual({ decision: 6, denial: 3, escalation: 2 })
    expect(byKind['human-approval']).toEqual({ approval: 5, escalation: 2 })
  })

  it('links each example to a record of the period, carried in full', () => {
    const seqs = new Set(compliance.examples.map((e) => e.seq))
    for (const control of compliance.controls)
      for (const seq of control.examples) expect(seqs.has(seq)).toBe(true)
    const reuse = compliance.controls.find((c) => c.control === 'credential_reuse')
    const example = compliance.examples.find((e) => e.seq === reuse?.examples[0])
    expect(example?.kind).toBe('signal')
    expect(example?.link).toBe(`/v1/events?after=${(example?.seq ?? 0) - 1}&limit=1`)
  })

  it('maps items to controls with evidence, and names the items Warden does not cover', () => {
    const status = Object.fromEntries(compliance.items.map((item) => [item.id, item.status]))
    expect(Object.keys(status)).toHaveLength(31)
    expect(compliance.items.filter((item) => item.status === 'uncovered').map((item) => item.id)).toEqual([
      'ASI05',
      'NHI3',
      'NHI6',
      'NHI8',
      'NHI10',
      'L1',
    ])
    for (const item of compliance.items.filter((i) => i.status === 'uncovered')) expect(item.gap).toBeTruthy()
    // Mapped, and the run left no evidence for them: said so, not painted green.
    expect(status).toMatchObject({ ASI01: 'mapped', ASI04: 'mapped', ASI06: 'mapped', L4: 'mapped' })
    expect(status).toMatchObject({
      ASI03: 'evidenced',
      ASI09: 'evidenced',
      NHI9: 'evidenced',
      L6: 'evidenced',
    })
  })

  it('rests on a signed checkpoint that verifies offline with the key in the report', () => {
    expect(compliance.verification).toMatchObject({
      checked: true,
      ok: true,
      records: compliance.summary.records,
    })
    const { checkpoint, publicKey } = compliance
    expect(checkpoint?.coversPeriod).toBe(true)
    expect(checkpoint?.seq).toBe(compliance.summary.range?.last)
    const key = parsePublicKey(publicKey as string)
    const { coversPeriod: _, ...signed } = checkpoint as NonNullable<typeof checkpoint>
    expect(isCheckpointSigned(signed, key)).toBe(true)
    expect(isCheckpointSigned({ ...signed, hash: '0'.repeat(64) }, key)).toBe(false)
  })

  it('shows an owner only what concerns their own agents', async () => {
    const minted = await t.request(
      'POST',
      `/v1/owners/${encodeURIComponent('lead-owner@example.com')}/tokens`,
    )
    expect(minted.status).toBe(201)
    const { token } = (await minted.json()) as { token: string }
    const owner = { authorization: `Bearer ${token}` }
    const asOwner = async (path: string) => t.request('GET', path, { headers: owner, admin: false })

    const own = (await (await asOwner('/v1/reports/privileges')).json()) as PrivilegeReport
    expect(own.agents.map((a) => a.agent)).toEqual(['lead'])
    expect(own.owner).toBe('lead-owner@example.com')
    const evidence = (await (await asOwner('/v1/reports/compliance')).json()) as ComplianceReport
    // lead's own task: read, write, delete ×4 (escalate, allow, escalate, deny).
    expect(evidence.summary.decisions).toEqual({ allow: 3, deny: 1, escalate: 2 })

    expect((await asOwner('/v1/reports/privileges?agent=lead')).status).toBe(200)
    const other = await asOwner('/v1/reports/privileges?agent=worker')
    expect(other.status).toBe(403)
    expect((await t.request('GET', '/v1/reports/compliance', { admin: false })).status).toBe(401)
  })

  it('serves Markdown and DOT too, and refuses an unknown format', async () => {
    const md = await t.request('GET', '/v1/reports/compliance?format=md')
    expect(md.headers.get('content-type')).toContain('text/markdown')
    expect(await md.text()).toContain('- decisions: 6 allowed, 3 denied, 2 escalated')
    const dot = await (await t.request('GET', '/v1/reports/privileges?format=dot')).text()
    expect(dot).toMatch(/^digraph privileges \{/)
    expect(dot).toContain('"agent:lead" -> "agent:worker" [penwidth=2, label="delegated ×1"]')
    expect(dot).toContain('"agent:lead" -> "agent:reader" [style=dashed, label="unused"]')
    expect((await t.request('GET', '/v1/reports/privileges?format=pdf')).status).toBe(400)
  })

  it('opens both HTML reports in Chromium, the graph rendered with a node per agent and tool', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    })
    try {
      const page = await browser.newPage()
      const html = await t.request('GET', '/v1/reports/privileges?format=html')
      expect(html.headers.get('content-type')).toContain('text/html')
      await page.setContent(await html.text())
      // 5 agents and 4 tools; 4 delegation grants and 10 entitlements.
      const nodes = await page.locator('#graph svg g.node title').allTextContents()
      expect(nodes.sort()).toEqual(
        ['agent:idle', 'agent:lead', 'agent:reader', 'agent:scout', 'agent:worker']
          .concat(['tool:delete_doc', 'tool:read_doc', 'tool:send_mail', 'tool:write_doc'])
          .sort(),
      )
      expect(await page.locator('#graph svg g.edge').count()).toBe(14)
      const box = await page.locator('#graph svg').boundingBox()
      expect(box?.width).toBeGreaterThan(100)
      expect(await page.locator('#unreviewed-paths tbody tr').count()).toBe(1)

      await page.setContent(await (await t.request('GET', '/v1/reports/compliance?format=html')).text())
      expect(await page.locator('#framework-OWASP-ASI tbody tr').count()).toBe(10)
      expect(await page.locator('#framework-OWASP-NHI tbody tr').count()).toBe(10)
      expect(await page.locator('#framework-MAESTRO tbody tr').count()).toBe(7)
      expect(await page.locator('#framework-NIST-AI-RMF tbody tr').count()).toBe(4)
      expect(await page.locator('span.uncovered').count()).toBe(6)
      // Every example link lands on the record it names, inside the page.
      const targets = await page
        .locator('a[href^="#record-"]')
        .evaluateAll((links) =>
          links.map(
            (a) => a.ownerDocument.getElementById((a.getAttribute('href') as string).slice(1)) !== null,
          ),
        )
      expect(targets.length).toBeGreaterThan(0)
      expect(targets.every(Boolean)).toBe(true)
    } finally {
      await browser.close()
    }
  }, 60_000)

  it('shows the graph in the console’s delegation page, an owner’s limited to their agents', async () => {
    const signIn = async (token: string) => {
      const res = await t.app.request('http://localhost/console/sign-in', {
        method: 'POST',
        headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      })
      expect(res.status).toBe(303)
      return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
    }
    const graphOf = async (cookie: string) => {
      const res = await t.app.request('http://localhost/console/graph', { headers: { cookie } })
      expect(res.status).toBe(200)
      return res.text()
    }
    const admin = await graphOf(await signIn('test-admin-token'))
    expect(admin).toContain('<figure class="graph"')
    expect(admin).toContain('<title>agent:scout&#45;&gt;agent:lead</title>')
    expect(admin).toContain('<title>agent:idle</title>')

    const minted = await t.request(
      'POST',
      `/v1/owners/${encodeURIComponent('lead-owner@example.com')}/tokens`,
    )
    const owner = await graphOf(await signIn(((await minted.json()) as { token: string }).token))
    expect(owner).toContain('<title>agent:lead&#45;&gt;agent:worker</title>')
    expect(owner).not.toContain('<title>agent:idle</title>')
  })

  it('runs offline on the data directory with the same numbers', async () => {
    const cli = await runCli(['report', 'privileges', '--data', t.dataDir, '--format', 'json'])
    expect(cli.code, cli.stderr).toBe(0)
    const offline = JSON.parse(cli.stdout) as PrivilegeReport
    expect(offline.findings).toEqual(privileges.findings)
    expect(offline.usedPaths).toEqual(privileges.usedPaths)

    const md = await runCli(['report', 'privileges', '--data', t.dataDir, '--agent', 'scout'])
    expect(md.code, md.stderr).toBe(0)
    expect(md.stdout).toContain(
      '| scout | low | write_doc | deny | allow | scout > lead; scout > lead > worker |',
    )

    const evidence = await runCli([
      'report',
      'compliance',
      '--data',
      t.dataDir,
      '--format',
      'json',
      '--since',
      '1d',
    ])
    expect(evidence.code, evidence.stderr).toBe(0)
    const report = JSON.parse(evidence.stdout) as ComplianceReport
    expect(report.summary).toEqual(compliance.summary)
    expect(report.verification).toEqual(compliance.verification)
  }, 60_000)

  it('reports a tampered chain as damaged, naming the record, and exits 1', async () => {
    const before = await runCli(['report', 'compliance', '--data', t.dataDir, '--format', 'json'])
    expect(before.code, before.stderr).toBe(0)
    const seq = run.delegations[0] as number
    await t.warden.store.run(`UPDATE chain_events SET body = ? WHERE seq = ?`, [
      '{"scope":["everything"]}',
      seq,
    ])
    const after = await runCli(['report', 'compliance', '--data', t.dataDir, '--format', 'json'])
    expect(after.code).toBe(1)
    expect((JSON.parse(after.stdout) as ComplianceReport).verification).toMatchObject({
      checked: true,
      ok: false,
      seq,
      damage: 'record_edited',
    })
  }, 60_000)
})
