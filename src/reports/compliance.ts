import type { KeyObject } from 'node:crypto'
import { type ActivityEventV1, type ChainVerdict, type Checkpoint, verifyChain } from '../chain/index.js'
import {
  CONTROLS,
  type Control,
  type EvidenceKind,
  FRAMEWORK_ITEMS,
  type Framework,
  GAPS,
  MAPPINGS,
  signalKinds,
} from './compliance-map.js'
import { agentOfSpiffeId, type PeriodRecords, type ReportChain } from './report-sources.js'

/** What one control did in the period. */
export interface ControlEvidence {
  control: string
  kind: Control['kind']
  title: string
  /** Records that are its evidence. */
  count: number
  byKind: Partial<Record<EvidenceKind, number>>
  /** Chain seqs of example records (at most three; the report carries them in full). */
  examples: number[]
  /** The chain's verification is this control's evidence too. */
  tamperCheck: boolean
}

/** One framework item with the controls mapped to it and their evidence. */
export interface ItemEvidence {
  framework: Framework
  id: string
  name: string
  /** `evidenced`: a mapped control left records in the period; `mapped`: none did; `uncovered`: no control maps. */
  status: 'evidenced' | 'mapped' | 'uncovered'
  gap: string | null
  controls: Array<ControlEvidence & { rationale: string }>
}

/** The example records, in full, so a reader can match them against an export of the chain. */
export interface ExampleRecord {
  seq: number
  ts: string
  kind: string
  task: string | null
  agent: string | null
  hash: string
  body: Record<string, unknown>
  /** The record in the API (`GET /v1/events`, admin). */
  link: string
}

export interface ComplianceReport {
  kind: 'compliance'
  generatedAt: string
  period: { since: string; until: string }
  /** Set when the report covers one owner's agents only. */
  owner: string | null
  summary: {
    records: number
    /** Seqs of the first and last record in the period. */
    range: { first: number; last: number } | null
    decisions: { allow: number; deny: number; escalate: number }
    approvals: Record<string, number>
    signals: Record<string, number>
    revocations: Record<string, number>
  }
  controls: ControlEvidence[]
  items: ItemEvidence[]
  verification: { checked: false; reason: string } | ({ checked: true } & ChainVerdict)
  /** The signed checkpoint the period rests on: the first at or after its last record, else the latest. */
  checkpoint: (Checkpoint & { coversPeriod: boolean }) | null
  /** The deployment's public key (PEM) that verifies the checkpoint. */
  publicKey: string | null
  examples: ExampleRecord[]
  notes: string[]
}

export interface ComplianceInput {
  period: PeriodRecords
  chain: ReportChain
  publicKey: { key: KeyObject; pem: string } | undefined
  /** Only evidence about these agents (an owner's report); every agent when unset. */
  agents?: { owner: string; names: ReadonlySet<string> } | undefined
  now: number
}

const EXAMPLES = 3

/**
 * The compliance report: every control and detector, the framework items each addresses (from `MAPPINGS`), and
 * for each the evidence the chain holds for the period — counts and example records — with the items Warden
 * does not cover named as such, and the chain's verification and the signed checkpoint it rests on.
 */
export async function buildComplianceReport(input: ComplianceInput): Promise<ComplianceReport> {
  const { period } = input
  const notes: string[] = []
  if (period.truncated) notes.push('the period holds more records than one report reads: counts are partial')
  const mine = (event: ActivityEventV1) => {
    if (!input.agents) return true
    const name =
      (event.task ? period.tasks.get(event.task)?.agent : undefined) ?? agentOfSpiffeId(event.agent)
    return name !== undefined && input.agents.names.has(name)
  }
  const records = period.records.filter(mine)

  const summary: ComplianceReport['summary'] = {
    records: records.length,
    range: records.length ? { first: records[0]?.seq as number, last: records.at(-1)?.seq as number } : null,
    decisions: { allow: 0, deny: 0, escalate: 0 },
    approvals: {},
    signals: {},
    revocations: {},
  }
  const bump = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1
  }
  for (const event of records) {
    if (event.kind === 'decision') {
      const effect = (event.body as { effect?: keyof typeof summary.decisions }).effect
      if (effect && effect in summary.decisions) summary.decisions[effect] += 1
    }
    if (event.kind === 'approval') bump(summary.approvals, String((event.body as { event?: string }).event))
    for (const kind of signalKinds(event)) bump(summary.signals, kind)
    if (
      ['task.close', 'token.revoke', 'lease.revoke', 'instance.quarantine', 'agent.disable'].includes(
        event.kind,
      )
    )
      bump(summary.revocations, event.kind)
  }

  const exampleSeqs = new Set<number>()
  const controls = CONTROLS.map((control): ControlEvidence => {
    const byKind: Partial<Record<EvidenceKind, number>> = {}
    const examples: number[] = []
    let count = 0
    for (const event of records) {
      const kind = control.evidence(event)
      if (!kind) continue
      count += 1
      byKind[kind] = (byKind[kind] ?? 0) + 1
      // The most telling examples first: a denial, escalation or signal over a routine record.
      if (examples.length < EXAMPLES && (kind !== 'record' || examples.length === 0)) examples.push(event.seq)
    }
    for (const seq of examples) exampleSeqs.add(seq)
    return {
      control: control.id,
      kind: control.kind,
      title: control.title,
      count,
      byKind,
      examples,
      tamperCheck: control.tamperCheck === true,
    }
  })
  const byId = new Map(controls.map((c) => [c.control, c]))

  const items = FRAMEWORK_ITEMS.map((item): ItemEvidence => {
    const mapped = MAPPINGS.filter(([, id]) => id === item.id).map(([control, , rationale]) => ({
      ...(byId.get(control) as ControlEvidence),
      rationale,
    }))
    return {
      ...item,
      status: mapped.length === 0 ? 'uncovered' : mapped.some((c) => c.count > 0) ? 'evidenced' : 'mapped',
      gap: mapped.length === 0 ? (GAPS[item.id] ?? 'no control addresses it') : null,
      controls: mapped,
    }
  })

  let verification: ComplianceReport['verification']
  let checkpoint: ComplianceReport['checkpoint'] = null
  if (input.publicKey) {
    verification = { checked: true, ...(await verifyChain(input.chain, input.publicKey.key)) }
    const checkpoints = await input.chain.checkpoints()
    const last = period.records.at(-1)?.seq ?? 0
    const covering = checkpoints.find((cp) => cp.seq >= last)
    const chosen = covering ?? checkpoints.at(-1)
    if (chosen) checkpoint = { ...chosen, coversPeriod: covering !== undefined }
    if (!covering) {
      notes.push(
        `no signed checkpoint yet covers the period's last record (seq ${last}): records after ${chosen?.seq ?? 0} are hash-linked but not yet signed`,
      )
    }
  } else {
    verification = { checked: false, reason: 'no public key to verify the chain with' }
  }

  const examples = records
    .filter((event) => exampleSeqs.has(event.seq))
    .map((event) => ({
      seq: event.seq,
      ts: new Date(event.ts).toISOString(),
      kind: event.kind,
      task: event.task,
      agent: event.agent,
      hash: event.hash,
      body: event.body,
      link: `/v1/events?after=${event.seq - 1}&limit=1`,
    }))
  return {
    kind: 'compliance',
    generatedAt: new Date(input.now).toISOString(),
    period: {
      since: new Date(period.period.since).toISOString(),
      until: new Date(period.period.until).toISOString(),
    },
    owner: input.agents?.owner ?? null,
    summary,
    controls,
    items,
    verification,
    checkpoint,
    publicKey: input.publicKey?.pem ?? null,
    examples,
    notes,
  }
}
