import type { ToolDefinition } from '../../catalog/index.js'
import type { Signal } from '../signals.js'
import type { TaskState } from '../task-state.js'
import { isWrite } from '../task-state.js'

/**
 * Flows and volume: after the task read instructions planted in data, an open-world write is suspect; after it
 * read a credential, any write that may reach outside is; a write repeated many times in one task is a loop or
 * bulk action nobody declared.
 */
export function detectFlows(state: TaskState, tool: string, definition?: ToolDefinition): Signal[] {
  const def = definition ?? state.tools.get(tool)
  if (!isWrite(def)) return []
  const signals: Signal[] = []
  const taintedSeqs = state.outputs.filter((output) => output.tainted).map((output) => output.seq)
  if (taintedSeqs.length > 0 && def?.annotations?.openWorldHint === true) {
    signals.push({
      kind: 'write_after_injection',
      severity: 'medium',
      summary: `open-world write \`${tool}\` after the task read instructions planted in data`,
      evidence: taintedSeqs,
      refs: ['OWASP-ASI:ASI01'],
    })
  }
  const secrets = state.outputs.filter((output) => output.secret).map((output) => output.seq)
  if (secrets.length > 0 && def?.annotations?.openWorldHint !== false) {
    signals.push({
      kind: 'secret_then_egress',
      severity: 'high',
      summary: `\`${tool}\` reaches outside after the task read a credential`,
      evidence: secrets,
      refs: ['OWASP-ASI:ASI03', 'OWASP-NHI:NHI2'],
    })
  }
  const repeats = state.writesByTool.get(tool) ?? 0
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
    })
  }
  return signals
}
