import type { ComplianceReport } from './compliance.js'
import type { PrivilegeReport } from './privileges.js'

const cell = (value: unknown) => String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ')
function table(head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string[] {
  if (rows.length === 0) return ['(none)']
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ]
}
const list = (values: readonly string[]) => (values.length ? values.join(', ') : '-')
const seqs = (values: readonly number[]) => values.map((seq) => `#${seq}`).join(' ')

/** The effective-privilege report as Markdown. */
export function privilegesMarkdown(report: PrivilegeReport): string {
  const { findings } = report
  const out: string[] = [
    `# Effective privilege${report.agent ? `: ${report.agent}` : ''}`,
    '',
    `Period ${report.period.since} – ${report.period.until}; delegation depth limit ${report.maxDelegationDepth}.`,
    '',
    'Paths are bounded by every narrowing rule Warden enforces:',
    ...report.rules.map((rule) => `- ${rule}`),
    '',
    '## Findings',
    '',
    `### Unused grants (${findings.unusedGrants.length})`,
    ...table(
      ['agent', 'tool'],
      findings.unusedGrants.map((f) => [f.agent, f.tool]),
    ),
    '',
    `### Unused delegation grants (${findings.unusedDelegations.length})`,
    ...table(
      ['from', 'to'],
      findings.unusedDelegations.map((f) => [f.from, f.to]),
    ),
    '',
    `### Paths used that nobody reviewed (${findings.unreviewedPaths.length})`,
    ...table(
      ['path', 'delegations', 'calls', 'tools', 'granted now', 'records'],
      findings.unreviewedPaths.map((p) => [
        p.agents.join(' > '),
        p.delegations,
        p.calls,
        list(p.tools),
        p.granted ? 'yes' : 'no',
        seqs(p.examples),
      ]),
    ),
    '',
    `### Reach beyond the agent's own tier template (${findings.exceedsTier.length})`,
    ...table(
      ['agent', 'tier', 'tool', 'own tier', 'reached', 'via'],
      findings.exceedsTier.map((f) => [f.agent, f.tier, f.tool, f.own, f.reached, f.via.join('; ')]),
    ),
    '',
    `### Tools a low tier reaches only through delegation (${findings.lowTierOnlyViaDelegation.length})`,
    ...table(
      ['agent', 'as', 'tool', 'reached', 'via'],
      findings.lowTierOnlyViaDelegation.map((f) => [f.agent, f.role, f.tool, f.reached, f.via.join('; ')]),
    ),
    '',
    `## Delegation paths used (${report.usedPaths.length})`,
    ...table(
      ['path', 'delegations', 'calls', 'tools', 'reviewed', 'records'],
      report.usedPaths.map((p) => [
        p.agents.join(' > '),
        p.delegations,
        p.calls,
        list(p.tools),
        p.reviewed ? 'yes' : 'no',
        seqs(p.examples),
      ]),
    ),
    '',
    '## Agents',
  ]
  for (const a of report.agents) {
    out.push(
      '',
      `### ${a.agent} (${a.tier}, ${a.owner}${a.status === 'active' ? '' : `, ${a.status}`})`,
      '',
      `May delegate to: ${list(a.delegatesTo)}`,
      '',
      ...table(
        ['entitlement', 'own tier', 'allowed', 'denied', 'escalated'],
        a.entitlements.map((e) => [e.tool, e.effect, e.allowed, e.denied, e.escalated]),
      ),
      '',
      'Paths:',
      '',
      ...table(
        ['path', 'tier', 'tools reachable'],
        a.paths.map((p) => [
          p.agents.join(' > '),
          p.tier,
          list(p.tools.filter((t) => t.effect !== 'deny').map((t) => `${t.tool} (${t.effect})`)),
        ]),
      ),
    )
  }
  if (report.notes.length) out.push('', '## Notes', ...report.notes.map((note) => `- ${note}`))
  return `${out.join('\n')}\n`
}

/** The compliance report as Markdown. */
export function complianceMarkdown(report: ComplianceReport): string {
  const { summary, verification, checkpoint } = report
  const frameworks = [...new Set(report.items.map((item) => item.framework))]
  const out: string[] = [
    `# Compliance evidence${report.owner ? ` for ${report.owner}` : ''}`,
    '',
    `Period ${report.period.since} – ${report.period.until}: ${summary.records} records${summary.range ? ` (seq ${summary.range.first}–${summary.range.last})` : ''}.`,
    '',
    '## Chain',
    '',
    verification.checked
      ? verification.ok
        ? `- verification: intact, ${verification.records} records, head seq ${verification.head.seq} \`${verification.head.hash}\`, ${verification.checkpoints} signed checkpoints`
        : `- verification: DAMAGED at seq ${verification.seq} (${verification.damage}): ${verification.message}`
      : `- verification: not done (${verification.reason})`,
    checkpoint
      ? `- rests on checkpoint seq ${checkpoint.seq} \`${checkpoint.hash}\` at ${new Date(checkpoint.ts).toISOString()}, key \`${checkpoint.kid}\`, signature \`${checkpoint.signature}\`${checkpoint.coversPeriod ? '' : ' (does not yet cover the whole period)'}`
      : '- no signed checkpoint',
    '- check offline: `warden chain verify --public-key chain-public.pem` on the data directory, or verify the checkpoint signature over `{"hash","seq","ts"}` (canonical JSON) with the key below',
    '',
    '## Summary',
    '',
    `- decisions: ${summary.decisions.allow} allowed, ${summary.decisions.deny} denied, ${summary.decisions.escalate} escalated`,
    `- approvals: ${list(Object.entries(summary.approvals).map(([k, v]) => `${k} ${v}`))}`,
    `- signals: ${list(Object.entries(summary.signals).map(([k, v]) => `${k} ${v}`))}`,
    `- revocations: ${list(Object.entries(summary.revocations).map(([k, v]) => `${k} ${v}`))}`,
  ]
  for (const framework of frameworks) {
    const items = report.items.filter((item) => item.framework === framework)
    out.push(
      '',
      `## ${framework}`,
      '',
      ...table(
        ['item', 'status', 'controls and evidence in the period'],
        items.map((item) => [
          `${item.id} ${item.name}`,
          item.status,
          item.status === 'uncovered'
            ? `not covered: ${item.gap}`
            : item.controls
                .map(
                  (c) =>
                    `${c.control}: ${c.count}${c.examples.length ? ` (${seqs(c.examples)})` : ''}${c.tamperCheck && verification.checked ? (verification.ok ? ', chain verified' : ', chain DAMAGED') : ''} — ${c.rationale}`,
                )
                .join('<br>'),
        ]),
      ),
    )
  }
  out.push(
    '',
    '## Controls and detectors',
    '',
    ...table(
      ['id', 'kind', 'what it does', 'records', 'by kind', 'examples'],
      report.controls.map((c) => [
        c.control,
        c.kind,
        c.title,
        c.count,
        list(Object.entries(c.byKind).map(([k, v]) => `${k} ${v}`)),
        seqs(c.examples),
      ]),
    ),
    '',
    '## Example records',
    '',
    ...table(
      ['seq', 'time', 'kind', 'task', 'hash', 'link'],
      report.examples.map((e) => [`#${e.seq}`, e.ts, e.kind, e.task ?? '-', e.hash, e.link]),
    ),
  )
  if (report.publicKey) out.push('', '## Public key', '', '```', report.publicKey.trim(), '```')
  if (report.notes.length) out.push('', '## Notes', ...report.notes.map((note) => `- ${note}`))
  return `${out.join('\n')}\n`
}
