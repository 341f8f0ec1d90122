import type { ComplianceReport } from './compliance.js'
import type { PrivilegeReport } from './privileges.js'

const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Marks text that is already HTML (links), so the table does not escape it. */
interface Raw {
  html: string
}
const raw = (html: string): Raw => ({ html })
const show = (value: unknown) =>
  typeof value === 'object' && value !== null && 'html' in value ? (value as Raw).html : escapeHtml(value)

function table(head: readonly string[], rows: ReadonlyArray<readonly unknown[]>, id?: string): string {
  if (rows.length === 0) return '<p class="none">(none)</p>'
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((value) => `<td>${show(value)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
}
const records = (seqs: readonly number[], linked: boolean) =>
  raw(seqs.map((seq) => (linked ? `<a href="#record-${seq}">#${seq}</a>` : `#${seq}`)).join(' '))

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}code,pre{font:12px ui-monospace,monospace}pre{background:#f7f7f7;padding:.5rem;overflow:auto}
.none{color:#777}.evidenced{color:#2e7d32}.mapped{color:#ef6c00}.uncovered{color:#c62828;font-weight:600}
.graph svg{max-width:100%;height:auto}`

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`
}

/** The effective-privilege report as one self-contained HTML page, the graph embedded as SVG. */
export function privilegesHtml(report: PrivilegeReport, svg: string): string {
  const { findings } = report
  const parts = [
    `<h1>Effective privilege${report.agent ? `: ${escapeHtml(report.agent)}` : ''}</h1>`,
    `<p>Period ${escapeHtml(report.period.since)} – ${escapeHtml(report.period.until)}; delegation depth limit ${report.maxDelegationDepth}.</p>`,
    `<ul>${report.rules.map((rule) => `<li>${escapeHtml(rule)}</li>`).join('')}</ul>`,
    // The SVG is Graphviz's output for our own DOT (labels escaped there): embedded as is, without its XML prologue.
    `<h2>Delegation graph</h2><div class="graph" id="graph">${svg.slice(svg.indexOf('<svg'))}</div>`,
    '<h2>Findings</h2>',
    `<h3>Unused grants (${findings.unusedGrants.length})</h3>`,
    table(
      ['agent', 'tool'],
      findings.unusedGrants.map((f) => [f.agent, f.tool]),
      'unused-grants',
    ),
    `<h3>Unused delegation grants (${findings.unusedDelegations.length})</h3>`,
    table(
      ['from', 'to'],
      findings.unusedDelegations.map((f) => [f.from, f.to]),
      'unused-delegations',
    ),
    `<h3>Paths used that nobody reviewed (${findings.unreviewedPaths.length})</h3>`,
    table(
      ['path', 'delegations', 'calls', 'tools', 'granted now', 'records'],
      findings.unreviewedPaths.map((p) => [
        p.agents.join(' > '),
        p.delegations,
        p.calls,
        p.tools.join(', ') || '-',
        p.granted ? 'yes' : 'no',
        records(p.examples, false),
      ]),
      'unreviewed-paths',
    ),
    `<h3>Reach beyond the agent's own tier template (${findings.exceedsTier.length})</h3>`,
    table(
      ['agent', 'tier', 'tool', 'own tier', 'reached', 'via'],
      findings.exceedsTier.map((f) => [f.agent, f.tier, f.tool, f.own, f.reached, f.via.join('; ')]),
      'exceeds-tier',
    ),
    `<h3>Tools a low tier reaches only through delegation (${findings.lowTierOnlyViaDelegation.length})</h3>`,
    table(
      ['agent', 'as', 'tool', 'reached', 'via'],
      findings.lowTierOnlyViaDelegation.map((f) => [f.agent, f.role, f.tool, f.reached, f.via.join('; ')]),
      'low-tier',
    ),
    `<h2>Delegation paths used (${report.usedPaths.length})</h2>`,
    table(
      ['path', 'delegations', 'calls', 'tools', 'reviewed', 'records'],
      report.usedPaths.map((p) => [
        p.agents.join(' > '),
        p.delegations,
        p.calls,
        p.tools.join(', ') || '-',
        p.reviewed ? 'yes' : 'no',
        records(p.examples, false),
      ]),
      'used-paths',
    ),
    '<h2>Agents</h2>',
  ]
  for (const a of report.agents) {
    parts.push(
      `<h3 id="agent-${escapeHtml(a.agent)}">${escapeHtml(a.agent)} <small>(${escapeHtml(a.tier)}, ${escapeHtml(a.owner)}${a.status === 'active' ? '' : `, ${escapeHtml(a.status)}`})</small></h3>`,
      `<p>May delegate to: ${escapeHtml(a.delegatesTo.join(', ') || '-')}</p>`,
      table(
        ['entitlement', 'own tier', 'allowed', 'denied', 'escalated'],
        a.entitlements.map((e) => [e.tool, e.effect, e.allowed, e.denied, e.escalated]),
      ),
      table(
        ['path', 'tier', 'tools reachable'],
        a.paths.map((p) => [
          p.agents.join(' > '),
          p.tier,
          p.tools
            .filter((t) => t.effect !== 'deny')
            .map((t) => `${t.tool} (${t.effect})`)
            .join(', ') || '-',
        ]),
      ),
    )
  }
  if (report.notes.length)
    parts.push(`<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`)
  return page('Warden: effective privilege', parts.join('\n'))
}

/** The compliance report as one self-contained HTML page; example records are linked within it. */
export function complianceHtml(report: ComplianceReport): string {
  const { summary, verification, checkpoint } = report
  const entries = (map: Record<string, number>) =>
    Object.entries(map)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-'
  const parts = [
    `<h1>Compliance evidence${report.owner ? ` for ${escapeHtml(report.owner)}` : ''}</h1>`,
    `<p>Period ${escapeHtml(report.period.since)} – ${escapeHtml(report.period.until)}: ${summary.records} records${summary.range ? ` (seq ${summary.range.first}–${summary.range.last})` : ''}.</p>`,
    '<h2>Chain</h2><ul id="chain">',
    `<li>${
      verification.checked
        ? verification.ok
          ? `verification: intact, ${verification.records} records, head seq ${verification.head.seq} <code>${escapeHtml(verification.head.hash)}</code>, ${verification.checkpoints} signed checkpoints`
          : `verification: <strong>DAMAGED</strong> at seq ${verification.seq} (${escapeHtml(verification.damage)}): ${escapeHtml(verification.message)}`
        : `verification: not done (${escapeHtml(verification.reason)})`
    }</li>`,
    `<li>${
      checkpoint
        ? `rests on checkpoint seq ${checkpoint.seq} <code>${escapeHtml(checkpoint.hash)}</code> at ${escapeHtml(new Date(checkpoint.ts).toISOString())}, key <code>${escapeHtml(checkpoint.kid)}</code>, signature <code>${escapeHtml(checkpoint.signature)}</code>${checkpoint.coversPeriod ? '' : ' (does not yet cover the whole period)'}`
        : 'no signed checkpoint'
    }</li></ul>`,
    '<h2>Summary</h2><ul id="summary">',
    `<li>decisions: ${summary.decisions.allow} allowed, ${summary.decisions.deny} denied, ${summary.decisions.escalate} escalated</li>`,
    `<li>approvals: ${escapeHtml(entries(summary.approvals))}</li>`,
    `<li>signals: ${escapeHtml(entries(summary.signals))}</li>`,
    `<li>revocations: ${escapeHtml(entries(summary.revocations))}</li></ul>`,
  ]
  for (const framework of [...new Set(report.items.map((item) => item.framework))]) {
    parts.push(
      `<h2>${escapeHtml(framework)}</h2>`,
      table(
        ['item', 'status', 'controls and evidence in the period'],
        report.items
          .filter((item) => item.framework === framework)
          .map((item) => [
            `${item.id} ${item.name}`,
            raw(`<span class="${item.status}">${item.status}</span>`),
            raw(
              item.status === 'uncovered'
                ? `not covered: ${escapeHtml(item.gap)}`
                : item.controls
                    .map(
                      (c) =>
                        `<b>${escapeHtml(c.control)}</b>: ${c.count} ${records(c.examples, true).html} — ${escapeHtml(c.rationale)}`,
                    )
                    .join('<br>'),
            ),
          ]),
        `framework-${framework}`,
      ),
    )
  }
  parts.push(
    '<h2>Controls and detectors</h2>',
    table(
      ['id', 'kind', 'what it does', 'records', 'by kind', 'examples'],
      report.controls.map((c) => [
        c.control,
        c.kind,
        c.title,
        c.count,
        entries(c.byKind as Record<string, number>),
        records(c.examples, true),
      ]),
      'controls',
    ),
    '<h2>Example records</h2>',
    ...report.examples.map(
      (e) =>
        `<h4 id="record-${e.seq}">#${e.seq} ${escapeHtml(e.kind)} <small>${escapeHtml(e.ts)} · <a href="${escapeHtml(e.link)}">API</a></small></h4><pre>${escapeHtml(JSON.stringify({ task: e.task, agent: e.agent, hash: e.hash, body: e.body }, null, 2))}</pre>`,
    ),
  )
  if (report.publicKey)
    parts.push(`<h2>Public key</h2><pre id="public-key">${escapeHtml(report.publicKey.trim())}</pre>`)
  if (report.notes.length)
    parts.push(`<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`)
  return page('Warden: compliance evidence', parts.join('\n'))
}
