import type { ToolDefinition } from '../../catalog/index.js'
import type { CallTraits, Signal, SignalDetail } from '../signals.js'
import type { TaskState } from '../task-state.js'
import { isMemory, isWrite } from '../task-state.js'
import { canonicalText } from '../values.js'
import { INSTRUCTION_THRESHOLD, instructionScore } from './instruction-text.js'
import { isOpenWorld } from './provenance.js'

/** A definition about sending data somewhere: mail, messages, posts, shares, uploads, transfers. */
const EGRESS_DEFINITION =
  /\b(send|sends|sent|e-?mail|mail|message|post|posts|publish|share|shares|upload|webhook|http|url|tweet|sms|transfer|transaction|invite|forward)\b/i

/** True when a write carries data out of the task's reach: open-world, or a definition about sending it. */
export function isEgress(definition: ToolDefinition | undefined, traits?: CallTraits): boolean {
  if (!isWrite(definition) || isMemory(definition, traits)) return false
  const hint = definition?.annotations?.openWorldHint
  if (hint !== undefined) return hint
  const about = `${definition?.name ?? ''} ${definition?.description ?? ''}`.replace(/_/g, ' ')
  return definition === undefined || EGRESS_DEFINITION.test(about)
}

/** A flow's evidence: the output it starts from and that output's span read as instructions. */
function flowDetail(state: TaskState, seq: number | undefined): SignalDetail {
  const output = state.outputs.find((o) => o.seq === seq)
  return { principle: 'flow', output: seq, span: output?.spans[0]?.text.slice(0, 200) }
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsOf)
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf)
  return []
}

/**
 * Flows between what a task read and what it does next (B5/B6), and volume (B9):
 * - planted instructions read → an open-world write (medium);
 * - a credential read → any call that may reach outside (high), or one that carries the credential (critical);
 * - sensitive data read → an external egress (medium);
 * - planted instructions read → a memory write (high; critical when the write itself carries instructions);
 * - one write repeated many times in a task (medium/high).
 */
export function detectFlows(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
  traits?: CallTraits,
): Signal[] {
  const def = definition ?? state.tools.get(tool)
  const write = isWrite(def)
  const outbound = write ? def?.annotations?.openWorldHint !== false : isOpenWorld(def)
  const memory = write && isMemory(def, traits)
  const signals: Signal[] = []
  const taintedSeqs = state.outputs.filter((output) => output.tainted).map((output) => output.seq)

  if (write && taintedSeqs.length > 0 && def?.annotations?.openWorldHint === true) {
    signals.push({
      kind: 'write_after_injection',
      severity: 'medium',
      summary: `open-world write \`${tool}\` after the task read instructions planted in data`,
      evidence: taintedSeqs,
      refs: ['OWASP-ASI:ASI01'],
      detail: flowDetail(state, taintedSeqs.at(-1)),
    })
  }

  const secretReads = state.outputs.filter((output) => output.secret)
  if (secretReads.length > 0 && outbound && !memory) {
    const carried = stringsOf(args).map(canonicalText)
    const leaked = secretReads.filter((output) =>
      output.secrets.some((secret) => carried.some((text) => text.includes(secret))),
    )
    signals.push(
      leaked.length > 0
        ? {
            kind: 'secret_in_arguments',
            severity: 'critical',
            summary: `\`${tool}\` carries a credential the task read`,
            evidence: leaked.map((output) => output.seq),
            refs: ['OWASP-ASI:ASI03', 'OWASP-NHI:NHI2'],
            detail: {
              principle: 'flow',
              output: leaked[0]?.seq,
              value: `${leaked[0]?.secrets[0]?.slice(0, 4) ?? ''}…(masked)`,
            },
          }
        : {
            kind: 'secret_then_egress',
            severity: 'high',
            summary: `\`${tool}\` reaches outside after the task read a credential`,
            evidence: secretReads.map((output) => output.seq),
            refs: ['OWASP-ASI:ASI03', 'OWASP-NHI:NHI2'],
            detail: { principle: 'flow', output: secretReads.at(-1)?.seq },
          },
    )
  }

  const sensitive = state.outputs.filter((output) => output.sensitive && !output.secret)
  if (sensitive.length > 0 && isEgress(def, traits)) {
    signals.push({
      kind: 'sensitive_then_egress',
      severity: 'medium',
      summary: `\`${tool}\` sends data out after the task read sensitive data`,
      evidence: sensitive.map((output) => output.seq),
      refs: ['OWASP-ASI:ASI02', 'OWASP-LLM:LLM02'],
      detail: { principle: 'flow', output: sensitive.at(-1)?.seq },
    })
  }

  if (memory) {
    const toolNames = state.toolNames()
    if (stringsOf(args).some((text) => instructionScore(text, toolNames) >= INSTRUCTION_THRESHOLD)) {
      signals.push({
        kind: 'instructions_to_memory',
        severity: 'critical',
        summary: `\`${tool}\` would store instructions addressed to an agent in memory`,
        evidence: taintedSeqs,
        refs: ['OWASP-ASI:ASI06'],
        detail: { ...flowDetail(state, taintedSeqs.at(-1)), principle: 'addressed' },
      })
    } else if (taintedSeqs.length > 0) {
      signals.push({
        kind: 'untrusted_to_memory',
        severity: 'high',
        summary: `\`${tool}\` writes memory after the task read instructions planted in data`,
        evidence: taintedSeqs,
        refs: ['OWASP-ASI:ASI06'],
        detail: flowDetail(state, taintedSeqs.at(-1)),
      })
    }
  }

  const repeats = write ? (state.writesByTool.get(tool) ?? 0) : 0
  if (repeats >= 10) {
    signals.push({
      kind: 'write_volume',
      severity: repeats >= 25 ? 'high' : 'medium',
      summary: `\`${tool}\` written ${repeats} times in one task`,
      evidence: state.calls
        .filter((c) => c.tool === tool)
        .map((c) => c.seq)
        .slice(-10),
      refs: ['OWASP-ASI:ASI02'],
      detail: { principle: 'flow', value: `${repeats} writes` },
    })
  }
  return signals
}
