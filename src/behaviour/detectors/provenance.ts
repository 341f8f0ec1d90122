import type { ToolDefinition } from '../../catalog/index.js'
import type { Signal } from '../signals.js'
import type { TaskState } from '../task-state.js'
import { isWrite } from '../task-state.js'
import { canonical, embeddedIdentifiers, isTraceable } from '../values.js'

/** Argument names or descriptions that choose *where* an action goes or *whom* it affects. */
const CONSEQUENTIAL =
  /recipient|\bto\b|^to$|email|iban|account|address|url|link|website|domain|channel|user|member|participant|invitee|password|phone|destination|target|\bcc\b|\bbcc\b|^cc$|^bcc$|owner|file_?id|event_?id|id$/i
/** Free-text arguments whose embedded identifiers (links, addresses, accounts) matter as much. */
const FREE_TEXT = /body|message|content|text|subject|description|note|comment|title/i

interface Candidate {
  arg: string
  value: string
}

function describe(definition: ToolDefinition | undefined, arg: string): string {
  const props = (definition?.inputSchema?.properties ?? {}) as Record<string, { description?: string }>
  return `${arg} ${props[arg]?.description ?? ''}`
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  return []
}

/** The values of a call that decide its target or carry identifiers, with the argument they came from. */
export function consequentialValues(
  definition: ToolDefinition | undefined,
  args: Record<string, unknown>,
): Candidate[] {
  const out: Candidate[] = []
  for (const [arg, value] of Object.entries(args)) {
    const about = describe(definition, arg)
    if (CONSEQUENTIAL.test(arg) || CONSEQUENTIAL.test(about)) {
      for (const v of strings(value)) if (isTraceable(v)) out.push({ arg, value: v })
    } else if (FREE_TEXT.test(arg)) {
      for (const v of strings(value))
        for (const id of embeddedIdentifiers(v)) if (isTraceable(id)) out.push({ arg, value: id })
    }
  }
  return out
}

/**
 * Argument provenance (B3): a side-effecting call whose consequential value comes from a tool output carrying
 * instructions to the agent — and not from the principal's request or the agent's trusted configuration — is
 * doing what the data said, not what the principal asked.
 */
export function detectProvenance(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
): Signal[] {
  if (!isWrite(definition ?? state.tools.get(tool))) return []
  const signals: Signal[] = []
  for (const { arg, value } of consequentialValues(definition ?? state.tools.get(tool), args)) {
    const c = canonical(value)
    if (c.length < 5 || state.prompt.includes(c) || state.trusted.includes(c)) continue
    const sources = state.outputs.filter((output) => output.text.includes(c))
    const tainted = sources.filter((output) => output.tainted)
    if (tainted.length > 0 && tainted.length === sources.length) {
      signals.push({
        kind: 'untrusted_provenance',
        severity: 'critical',
        summary: `\`${arg}\` of \`${tool}\` comes from a tool output that carries instructions to the agent`,
        evidence: tainted.map((output) => output.seq),
        refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02', 'MAESTRO:L3'],
      })
    }
  }
  return signals
}
