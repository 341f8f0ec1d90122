import type { ToolDefinition } from '../catalog/index.js'
import type { ActivityEventV1 } from '../chain/index.js'
import type { BehaviourEvent, CallTraits, Severity } from './signals.js'

/** What the chain does not hold of a tool: its definition and traits, from the catalog and the upstreams. */
export type ToolLookup = (
  server: string | null,
  tool: string,
) => Promise<{ definition?: ToolDefinition | undefined; traits?: CallTraits | undefined }>

/**
 * Turns a task's activity-chain records into the events the behaviour engine learns from, so a node that did
 * not see the task (or restarted) reaches the state the live node had: calls with their arguments, outputs by
 * their fingerprints and labels, decisions, and signals raised outside the detectors.
 */
export async function behaviourEventsFrom(
  records: readonly ActivityEventV1[],
  lookup: ToolLookup,
): Promise<BehaviourEvent[]> {
  const events: BehaviourEvent[] = []
  for (const record of records) {
    if (record.task === null) continue
    const body = record.body
    const task = record.task
    const seq = record.seq
    if (record.kind === 'tool.call' && body.action === 'tools/call' && typeof body.tool === 'string') {
      const known = await lookup(typeof body.server === 'string' ? body.server : null, body.tool)
      events.push({
        kind: 'tool.call',
        seq,
        task,
        call: String(body.call),
        tool: body.tool,
        args: (body.args ?? {}) as Record<string, unknown>,
        definition: known.definition,
        traits: known.traits,
      })
    } else if (record.kind === 'tool.result') {
      // Whatever a record holds, only lists of strings are fingerprints (a malformed one must not stop the task).
      const prints = (body.prints ?? {}) as Record<string, unknown>
      const strings = (value: unknown) =>
        Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
      events.push({
        kind: 'tool.result',
        seq,
        task,
        call: String(body.call),
        prints: { clean: strings(prints.clean), planted: strings(prints.planted), labels: [] },
        labels: Array.isArray(body.labels) ? (body.labels as string[]) : [],
      })
    } else if (record.kind === 'decision') {
      events.push({
        kind: 'decision',
        seq,
        task,
        call: String(body.call),
        effect: String(body.effect),
        agent: record.agent ?? '',
      })
    } else if (record.kind === 'signal') {
      const signal = body as { kind: string; severity: Severity; refs?: string[] }
      events.push({
        kind: 'signal',
        seq,
        task,
        signal: {
          kind: signal.kind,
          severity: signal.severity,
          summary: signal.kind,
          evidence: [seq],
          refs: signal.refs ?? [],
        },
      })
    }
  }
  return events
}
