import type { ToolDefinition } from '../../catalog/index.js'
import type { Signal } from '../signals.js'
import type { TaskState } from '../task-state.js'
import { isWrite } from '../task-state.js'
import { ownToolName } from '../values.js'

/** A tool that removes or revokes, by its definition: its name's verb, or a description that opens with one. */
const REMOVAL_VERB =
  /^(delete|remove|erase|purge|drop|destroy|wipe|cancel|revoke|kick|ban|unsubscribe|uninvite|uninstall|trash|discard)\b/i
/** The principal asking for something to go: the same verbs and everyday ways to say it. */
const REMOVAL_REQUEST =
  /\b(delet\w*|remov\w*|eras\w*|purg\w*|drop\w*|destroy\w*|wip\w*|cancel\w*|revok\w*|kick\w*|ban\w*|unsubscrib\w*|uninvit\w*|uninstall\w*|trash\w*|discard\w*|clear\w*|clean\w*|get rid|tidy|free up|throw away|take (\w+ )?(off|out)|no longer)\b/i

/**
 * True when a tool's definition says it removes or revokes something. MCP's `destructiveHint` alone is not
 * enough: it also marks tools that overwrite (`write_file`), which a request to write does ask for.
 */
export function isRemoval(definition: ToolDefinition | undefined): boolean {
  if (!definition || !isWrite(definition)) return false
  let removal = removals.get(definition)
  if (removal === undefined) {
    removal = readsAsRemoval(definition)
    removals.set(definition, removal)
  }
  return removal
}

/** `isRemoval` by a definition's words, once per definition (a definition is never changed once pinned). */
const removals = new WeakMap<ToolDefinition, boolean>()

function readsAsRemoval(definition: ToolDefinition): boolean {
  const words = ownToolName(definition.name)
    .replace(/[_.-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
  return REMOVAL_VERB.test(words) || REMOVAL_VERB.test((definition.description ?? '').trim())
}

/**
 * Intent drift (B1): a call that removes or revokes something, in a task whose request and standing
 * instructions never ask for anything to go. Deleting a file while adding to a grocery list is not what the
 * principal asked, whoever asked for it in the data.
 */
export function detectIntentDrift(state: TaskState, tool: string, definition?: ToolDefinition): Signal[] {
  const def = definition ?? state.tools.get(tool)
  if (!isRemoval(def)) return []
  // Without a stated request there is nothing to compare with.
  if (state.promptRaw.trim() === '') return []
  if (REMOVAL_REQUEST.test(state.promptRaw) || REMOVAL_REQUEST.test(state.trustedRaw)) return []
  return [
    {
      kind: 'unrequested_removal',
      severity: 'high',
      summary: `\`${tool}\` removes or revokes, and the request never asks for anything to be removed`,
      evidence: state.outputs.filter((output) => output.tainted).map((output) => output.seq),
      refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
      detail: { principle: 'asked', output: state.outputs.findLast((output) => output.tainted)?.seq },
    },
  ]
}
