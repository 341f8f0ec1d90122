import { html as honoHtml, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { Approval } from '../approvals/index.js'
import type { CatalogTool } from '../catalog/index.js'
import type { ActivityEventV1 } from '../chain/index.js'
import type { Agent, Instance } from '../identity/index.js'
import type { Task } from '../tasks/index.js'
import type { ConsoleViewer } from './console-session.js'

/**
 * The console's pages, rendered on the server with Hono's `html` template: every interpolated value is escaped,
 * no page needs a script to show what it shows (the one script adds live rows and the sign-in link's token).
 */
export type Html = HtmlEscapedString

/** `html` whose every part is synchronous (no promise inside): the pages are built from values already read. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return honoHtml(strings, ...values) as Html
}

const NAV = [
  ['/console', 'Activity'],
  ['/console/agents', 'Agents'],
  ['/console/approvals', 'Approvals'],
  ['/console/tools', 'Tools'],
  ['/console/graph', 'Delegation'],
] as const

/** ISO-8601, as everywhere in Warden. */
export function iso(ms: number | null | undefined): string {
  return typeof ms === 'number' ? new Date(ms).toISOString() : '—'
}

/** The page frame: landmarks, navigation, who is signed in, and the sign-out form. */
export function layout(
  title: string,
  body: Html,
  page: { viewer?: ConsoleViewer | undefined; csrf?: string | undefined; current?: string } = {},
): Html {
  const who =
    page.viewer === undefined ? '' : page.viewer.role === 'admin' ? 'admin' : `owner ${page.viewer.owner}`
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Warden console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">Warden</span>
${
  page.viewer
    ? html`<nav aria-label="Console"><ul>${NAV.map(
        ([href, label]) =>
          html`<li><a href="${href}"${page.current === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
      )}</ul></nav>
<form method="post" action="/console/sign-out" class="signout"><input type="hidden" name="csrf" value="${page.csrf ?? ''}"><span>Signed in as ${who}</span> <button type="submit">Sign out</button></form>`
    : ''
}
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`
}

/** A POST form with one button, carrying the session's CSRF token. */
export function actionForm(
  action: string,
  label: string,
  csrf: string,
  options: { reason?: boolean | 'optional'; danger?: boolean } = {},
): Html {
  return html`<form method="post" action="${action}" class="action"><input type="hidden" name="csrf" value="${csrf}">${
    options.reason === 'optional'
      ? html`<label>Reason <input name="reason" maxlength="1000" placeholder="why (optional, recorded)"></label> `
      : options.reason
        ? html`<label>Reason <input name="reason" required maxlength="500" placeholder="why"></label> `
        : ''
  }<button type="submit"${options.danger ? html` class="danger"` : ''}>${label}</button></form>`
}

export function signInPage(error?: string): Html {
  return layout(
    'Sign in',
    html`<p>Paste the admin token, or an owner token (<code>warden owners token OWNER</code>), to sign in.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/console/sign-in" class="signin">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button>
</form>`,
  )
}

/** One line of a chain record for the activity feed: what happened, and how it was decided. */
export function activityRow(event: ActivityEventV1, agentOf: (spiffeId: string | null) => string): Html {
  const body = event.body
  const effect = event.kind === 'decision' ? String(body.effect) : ''
  const what =
    event.kind === 'tool.call'
      ? html`<code>${String(body.tool ?? body.action)}</code>`
      : event.kind === 'decision'
        ? html`<strong class="effect">${effect}</strong> ${reasonsOf(body)}`
        : event.kind === 'tool.result'
          ? html`${String(body.size ?? '')} bytes ${labelsOf(body)}`
          : html`${summaryOf(body)}`
  return html`<tr data-seq="${event.seq}" class="kind-${event.kind.replace('.', '-')}${effect ? ` effect-${effect}` : ''}">
<td>${event.seq}</td><td><time datetime="${iso(event.ts)}">${iso(event.ts)}</time></td><td>${event.kind}</td>
<td>${agentOf(event.agent)}</td>
<td>${event.task ? html`<a href="/console/tasks/${event.task}">${event.task}</a>` : '—'}</td>
<td>${what}</td></tr>`
}

function reasonsOf(body: Record<string, unknown>): Html {
  const reasons = [...((body.reasons as string[]) ?? []), ...((body.errors as string[]) ?? [])]
  return html`${reasons.length > 0 ? html`<span class="reasons">${reasons.join('; ')}</span>` : ''}`
}

function labelsOf(body: Record<string, unknown>): Html {
  const labels = (body.labels as string[] | undefined) ?? []
  return html`${labels.map((label) => html`<span class="label">${label}</span> `)}`
}

function summaryOf(body: Record<string, unknown>): string {
  const text = JSON.stringify(body)
  return text.length > 160 ? `${text.slice(0, 157)}…` : text
}

export interface ActivityFilters {
  agent?: string | undefined
  task?: string | undefined
  kind?: string | undefined
  effect?: string | undefined
}

export function activityPage(
  rows: Html[],
  filters: ActivityFilters,
  kinds: readonly string[],
  stream: string,
  page: { viewer: ConsoleViewer; csrf: string },
): Html {
  const option = (value: string, selected: string | undefined) =>
    html`<option value="${value}"${value === selected ? html` selected` : ''}>${value || 'any'}</option>`
  return layout(
    'Activity',
    html`<form method="get" action="/console" class="filters" aria-label="Filter the activity">
<label>Agent <input name="agent" value="${filters.agent ?? ''}" placeholder="name"></label>
<label>Task <input name="task" value="${filters.task ?? ''}" placeholder="task id"></label>
<label>Kind <select name="kind">${['', ...kinds].map((k) => option(k, filters.kind))}</select></label>
<label>Effect <select name="effect">${['', 'allow', 'deny', 'escalate'].map((e) => option(e, filters.effect))}</select></label>
<button type="submit">Filter</button>
</form>
<p class="live" aria-live="polite"><span id="live-status">Live</span>: new records appear at the top.</p>
<table class="activity" aria-label="Activity, newest first">
<thead><tr><th scope="col">seq</th><th scope="col">time</th><th scope="col">kind</th><th scope="col">agent</th><th scope="col">task</th><th scope="col">what</th></tr></thead>
<tbody id="activity" data-stream="${stream}">${rows}</tbody>
</table>`,
    { ...page, current: '/console' },
  )
}

/** A task: its intent, its delegation tree, and its chain as a timeline with the evidence of each decision. */
export function taskPage(
  task: Task,
  tree: Html,
  timeline: Html,
  verification: Html,
  page: { viewer: ConsoleViewer; csrf: string },
): Html {
  const intent = task.intent
  return layout(
    `Task ${task.id}`,
    html`<section aria-labelledby="intent"><h2 id="intent">Intent</h2>
<dl class="facts">
<dt>Agent</dt><dd>${task.agent} <code>${task.spiffeId}</code></dd>
<dt>Purpose</dt><dd>${intent.purpose}</dd>
<dt>Request</dt><dd>${intent.prompt ?? '—'}</dd>
<dt>Declared tools</dt><dd>${task.scope.map((t) => html`<code>${t}</code> `)}</dd>
<dt>Data classes</dt><dd>${(intent.dataClasses ?? []).join(', ') || '—'}</dd>
<dt>Tier</dt><dd>${task.tier}</dd>
<dt>Status</dt><dd class="status-${task.status}">${task.status}${task.closeReason ? ` (${task.closeReason})` : ''}</dd>
<dt>Opened</dt><dd>${iso(task.openedAt)}</dd><dt>Ends</dt><dd>${iso(task.expiresAt)}</dd>
<dt>Closed</dt><dd>${iso(task.closedAt)}</dd>
<dt>Delegated from</dt><dd>${task.parent ? html`<a href="/console/tasks/${task.parent}">${task.parent}</a>` : '—'}</dd>
</dl>
${task.status === 'open' ? actionForm(`/console/tasks/${task.id}/close`, 'Close task', page.csrf, { reason: true, danger: true }) : ''}
</section>
<section aria-labelledby="tree"><h2 id="tree">Delegation tree</h2>${tree}</section>
<section aria-labelledby="chain"><h2 id="chain">Chain</h2>${verification}${timeline}</section>`,
    page,
  )
}

/** A decision's signals, each with the evidence it names (chain records, outputs, spans, values). */
export function signalsOf(body: Record<string, unknown>): Html {
  const signals = (body.signals as Array<Record<string, unknown>> | undefined) ?? []
  if (signals.length === 0) return html``
  return html`<ul class="signals">${signals.map((signal) => {
    const evidence = (signal.evidence as number[] | undefined) ?? []
    const rest = Object.entries(signal).filter(([key]) => !['kind', 'severity', 'evidence'].includes(key))
    return html`<li class="severity-${String(signal.severity)}"><strong>${String(signal.kind)}</strong> (${String(signal.severity)})${
      evidence.length > 0
        ? html` — evidence ${evidence.map((seq) => html`<a href="#seq-${seq}">#${seq}</a> `)}`
        : ''
    }${rest.map(([key, value]) => html`<div class="evidence"><span>${key}</span> <code>${typeof value === 'string' ? value : JSON.stringify(value)}</code></div>`)}</li>`
  })}</ul>`
}

/** One chain record of a task's timeline. */
export function timelineItem(event: ActivityEventV1): Html {
  const body = event.body
  const detail =
    event.kind === 'tool.call'
      ? html`<code>${String(body.server ?? '')}/${String(body.tool ?? body.action)}</code>
<details><summary>arguments</summary><pre>${JSON.stringify(body.args ?? {}, null, 2)}</pre></details>`
      : event.kind === 'decision'
        ? html`<strong class="effect">${String(body.effect)}</strong>
${(body.reasons as string[] | undefined)?.length ? html`<div>policies: ${(body.reasons as string[]).map((r) => html`<code>${r}</code> `)}</div>` : ''}
${(body.errors as string[] | undefined)?.length ? html`<div class="error">${(body.errors as string[]).join('; ')}</div>` : ''}
${signalsOf(body)}${body.approval ? html`<div>approval <code>${String(body.approval)}</code></div>` : ''}`
        : event.kind === 'tool.result'
          ? html`result of call <code>${String(body.call)}</code>: ${String(body.size ?? '?')} bytes, digest <code>${String(body.digest ?? '')}</code> ${labelsOf(body)}${body.error ? html`<div class="error">${String(body.error)}</div>` : ''}`
          : html`<details><summary>record</summary><pre>${JSON.stringify(body, null, 2)}</pre></details>`
  const effect = event.kind === 'decision' ? ` effect-${String(body.effect)}` : ''
  return html`<li id="seq-${event.seq}" class="kind-${event.kind.replace('.', '-')}${effect}"><div class="meta"><span>#${event.seq}</span> <time datetime="${iso(event.ts)}">${iso(event.ts)}</time> <span class="kind">${event.kind}</span></div>${detail}</li>`
}

export interface AgentView {
  agent: Agent
  instances: Instance[]
  outcomes: { allow: number; deny: number; escalate: number }
  approvals: Record<string, number>
  signals: Record<string, number>
}

export function agentsPage(views: AgentView[], page: { viewer: ConsoleViewer; csrf: string }): Html {
  return layout(
    'Agents',
    html`${views.length === 0 ? html`<p>No agents.</p>` : ''}${views.map(
      ({
        agent,
        instances,
        outcomes,
        approvals,
        signals,
      }) => html`<section class="agent" aria-labelledby="agent-${agent.name}">
<h2 id="agent-${agent.name}">${agent.name} <span class="status-${agent.status}">${agent.status}</span></h2>
<dl class="facts"><dt>Owner</dt><dd>${agent.owner}</dd><dt>Tier</dt><dd>${agent.tier}</dd>
<dt>Entitlements</dt><dd>${agent.entitlements.map((t) => html`<code>${t}</code> `)}</dd>
<dt>May delegate to</dt><dd>${agent.delegatesTo.join(', ') || '—'}</dd>
<dt>Last 7 days</dt><dd>${outcomes.allow} allowed · ${outcomes.deny} denied · ${outcomes.escalate} escalated · approvals ${
        Object.entries(approvals)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ') || 'none'
      }</dd>
<dt>Signals (novelty against its own baseline included)</dt><dd>${Object.entries(signals).map(([kind, n]) => html`<span class="label">${kind} ×${n}</span> `)}${Object.keys(signals).length === 0 ? 'none' : ''}</dd>
</dl>
${agent.status === 'active' ? actionForm(`/console/agents/${agent.name}/disable`, `Disable ${agent.name}`, page.csrf, { danger: true }) : actionForm(`/console/agents/${agent.name}/enable`, `Enable ${agent.name}`, page.csrf)}
<table aria-label="Instances of ${agent.name}"><thead><tr><th scope="col">instance</th><th scope="col">SPIFFE ID</th><th scope="col">key thumbprint</th><th scope="col">status</th><th scope="col">last SVID</th><th scope="col"></th></tr></thead>
<tbody>${instances.map(
        (
          i,
        ) => html`<tr><td>${i.id}</td><td><code>${i.spiffeId}</code></td><td><code>${i.jkt}</code></td><td class="status-${i.status}">${i.status}</td><td>${iso(i.lastSvidAt)}</td>
<td>${i.status === 'active' ? actionForm(`/console/instances/${i.id}/quarantine`, `Quarantine ${i.id}`, page.csrf, { reason: true, danger: true }) : ''}</td></tr>`,
      )}</tbody></table>
</section>`,
    )}`,
    { ...page, current: '/console/agents' },
  )
}

export function approvalsPage(
  pending: Approval[],
  answered: Approval[],
  page: { viewer: ConsoleViewer; csrf: string },
): Html {
  return layout(
    'Approvals',
    html`<h2>Waiting for an answer</h2>
${pending.length === 0 ? html`<p>No call is waiting.</p>` : ''}
<ul class="approvals">${pending.map(
      (approval) => html`<li class="approval" aria-labelledby="approval-${approval.id}">
<h3 id="approval-${approval.id}"><code>${approval.server ?? ''}/${approval.tool ?? ''}</code> for <code>${approval.agent}</code></h3>
<dl class="facts"><dt>Task</dt><dd><a href="/console/tasks/${approval.task}">${approval.task}</a></dd>
<dt>Why it is held</dt><dd>${approval.reasons.map((r) => html`<code>${r}</code> `)}</dd>
<dt>Signals</dt><dd>${approval.signals.map((s) => html`<span class="label">${s.kind} (${s.severity})</span> `)}${approval.signals.length === 0 ? 'none' : ''}</dd>
<dt>Sensitivity</dt><dd>${approval.sensitivity ?? '—'}</dd>
<dt>Arguments (this exact call)</dt><dd>${approval.arguments === null ? html`<em>not kept for this request</em>` : html`<pre>${JSON.stringify(approval.arguments, null, 2)}</pre>`}${
        approval.redacted.length > 0
          ? html`<small>hidden: ${approval.redacted.map((p) => html`<code>${p || '/'}</code> `)}</small>`
          : ''
      }</dd>
<dt>Expires</dt><dd>${iso(approval.expiresAt)}</dd></dl>
${actionForm(`/console/approvals/${approval.id}/approve`, 'Approve', page.csrf, { reason: 'optional' })}
${actionForm(`/console/approvals/${approval.id}/deny`, 'Deny', page.csrf, { danger: true, reason: 'optional' })}
</li>`,
    )}</ul>
<h2>Answered</h2>
<table aria-label="Answered approvals"><thead><tr><th scope="col">tool</th><th scope="col">task</th><th scope="col">status</th><th scope="col">by</th><th scope="col">reason</th><th scope="col">when</th></tr></thead>
<tbody>${answered.map(
      (a) =>
        html`<tr><td><code>${a.server ?? ''}/${a.tool ?? ''}</code></td><td><a href="/console/tasks/${a.task}">${a.task}</a></td><td>${a.status}</td><td>${a.decidedBy ?? '—'}</td><td>${a.answerReason ?? '—'}</td><td>${iso(a.decidedAt)}</td></tr>`,
    )}</tbody></table>`,
    { ...page, current: '/console/approvals' },
  )
}

/** A changed tool definition: the diff of the pinned and the new, and the button that pins the new one. */
export function toolsPage(
  changed: Array<{ tool: CatalogTool; diff: Array<{ value: string; added?: boolean; removed?: boolean }> }>,
  tools: CatalogTool[],
  page: { viewer: ConsoleViewer; csrf: string },
): Html {
  return layout(
    'Tools',
    html`<h2>Changed definitions (quarantined until approved)</h2>
${changed.length === 0 ? html`<p>No tool definition changed.</p>` : ''}
${changed.map(
  ({ tool, diff }) => html`<section aria-labelledby="tool-${tool.server}-${tool.name}">
<h3 id="tool-${tool.server}-${tool.name}"><code>${tool.server}/${tool.name}</code></h3>
<pre class="diff" aria-label="Pinned definition (−) against the new one (+)">${diff.map((part) =>
    part.value
      .replace(/\n$/, '')
      .split('\n')
      .map((line) =>
        part.added
          ? html`<ins>+ ${line}</ins>\n`
          : part.removed
            ? html`<del>− ${line}</del>\n`
            : html`<span>  ${line}</span>\n`,
      ),
  )}</pre>
${page.viewer.role === 'admin' ? actionForm(`/console/tools/${tool.server}/${tool.name}/approve`, 'Approve the new definition', page.csrf) : ''}
</section>`,
)}
<h2>Catalog</h2>
<table aria-label="Catalog"><thead><tr><th scope="col">server</th><th scope="col">tool</th><th scope="col">status</th><th scope="col">sensitivity</th><th scope="col">digest</th></tr></thead>
<tbody>${tools.map(
      (t) =>
        html`<tr><td>${t.server}</td><td><code>${t.name}</code></td><td class="status-${t.status}">${t.status}</td><td>${t.sensitivity}</td><td><code>${t.digest.slice(0, 23)}…</code></td></tr>`,
    )}</tbody></table>`,
    { ...page, current: '/console/tools' },
  )
}

/** Who may delegate to whom, and the tools each path can reach (scope only narrows: the intersection). */
export function graphPage(
  paths: Array<{ path: string[]; tools: string[] }>,
  page: { viewer: ConsoleViewer; csrf: string },
  /** The effective-privilege graph (`warden report privileges`), rendered by Graphviz from our own DOT. */
  svg?: string,
): Html {
  return layout(
    'Delegation',
    html`${svg ? html`<figure class="graph" aria-label="Delegation graph">${raw(svg.slice(svg.indexOf('<svg')))}<figcaption>Delegation grants used in the last 30 days (solid) and unused (dashed); each agent's entitlements, coloured by what its tier's template allows. The full report: <code>GET /v1/reports/privileges?format=html</code>.</figcaption></figure>` : ''}<p>Every path an agent may delegate along, and the tools a task at its end can reach: a delegated task's
scope is a subset of its parent's, so a path reaches only what every agent on it is entitled to.</p>
<table aria-label="Delegation paths"><thead><tr><th scope="col">path</th><th scope="col">tools reachable</th></tr></thead>
<tbody>${paths.map(
      ({ path, tools }) =>
        html`<tr><td>${path.join(' → ')}</td><td>${tools.map((t) => html`<code>${t}</code> `)}${tools.length === 0 ? 'none' : ''}</td></tr>`,
    )}</tbody></table>`,
    { ...page, current: '/console/graph' },
  )
}
