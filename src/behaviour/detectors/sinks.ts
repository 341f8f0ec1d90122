import type { ToolDefinition } from '../../catalog/index.js'
import { secretsIn } from '../secrets.js'
import type { Signal } from '../signals.js'
import type { TaskState } from '../task-state.js'
import { againstPrincipal, isWrite } from '../task-state.js'
import { type ArgumentLeaf, argumentLeaves, canonical, canonicalText } from '../values.js'
import { askedStems, isAsked, runsText } from './asked.js'
import { isOpenWorld } from './provenance.js'

/**
 * Content-aware sinks: what a call's arguments *are*, wherever they sit in its argument tree.
 *
 * - A secret (recognised by what it is: `secrets.ts`) in any write or open-world call, that the request did not
 *   itself give: critical — unless the request asks for this very action on a closed-world tool (storing a key in
 *   a secret store), which stays high.
 * - An operation whose effect cannot be taken back or reaches past the task — a pipe into an interpreter, a
 *   reverse shell, a recursive delete or world-writable permission, SQL that changes data, schema or grants, a
 *   force push, a grant of ownership or administration, publishing to anyone — written by data rather than by the
 *   request: critical when the text sits in planted instructions or the request asks for no such action; high when
 *   it comes from data the request did not point at, after planted instructions were read.
 *
 * The shapes below say what an operation is in the languages tools speak (sh, SQL, git, IAM, sharing settings);
 * they are not phrasings of an attack.
 */

interface Operation {
  kind: string
  /** The text of the operation as written in the argument. */
  text: string
}

const SHELL_INTERPRETER =
  /\|\s*(?:sudo\s+)?(?:(?:ba|z|da|k|fi)?sh|python[\d.]*|perl|ruby|node|php|pwsh|powershell|iex)\b/
const REVERSE_SHELL = /\/dev\/(?:tcp|udp)\/|\bnc(?:at)?\b[^|;&\n]{0,40}\s-[ec]\b|\bbash\s+-i\b|\bmkfifo\b/
const DESTRUCTIVE_SHELL =
  /\brm\s+-[a-z]*r[a-z]*f?\b|\bchmod\s+(?:-R\s+)?(?:0?777|[ugoa]*\+s)\b|\bmkfs\b|\bdd\s+if=|\bchown\s+-R\b/i
const SQL_CHANGE =
  /(?:^|;|\n)\s*(?:drop|alter|truncate|grant|revoke|update|delete\s+from|insert\s+into|create\s+(?:role|user|function|trigger)|copy\s+\w+\s+to)\b/i
const FORCE_PUSH = /\bgit\s+push\b[^\n;&|]*(?:\s--force(?:-with-lease)?\b|\s-f\b|\s\+[\w/.~^-]*:)/
const GRANT_VALUE =
  /^(?:owner|admin|administrator|maintain|cluster-admin|roles\/(?:owner|editor|admin)|all privileges)$/i
const GRANT_TEXT = /\b(?:cluster-admin|roles\/owner|all privileges)\b|"principal"\s*:\s*"\*"/i
const PUBLIC_NAME = /^(?:public|anyone_with_link|publish(?:_to_web)?|general_access|visibility|acl)$/i
const PUBLIC_VALUE = /^(?:true|anyone|public|public-read|everyone|allusers)$/i

/** A request that speaks of paying or of a card: the one kind of request that may send a card number out. */
const PAYMENT_WORDS = /\b(?:card|credit|debit|pay|paying|payment|purchase|buy|checkout)\b/

/** Payment card numbers in a text: 13–19 digits, grouped or not, that pass the Luhn check. */
function cardNumbersIn(text: string): string[] {
  const found: string[] = []
  if (!/\d{4}/.test(text)) return found
  for (const [run] of text.matchAll(/(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g)) {
    const digits = run.replace(/\D/g, '')
    let sum = 0
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i])
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
      sum += d
    }
    if (sum % 10 === 0 && !/^(\d)\1+$/.test(digits)) found.push(digits)
  }
  return found
}

/** The operations one argument string performs. */
function operationsIn(leaf: ArgumentLeaf): Operation[] {
  const found: Operation[] = []
  const v = leaf.value
  if (leaf.key) return found
  for (const [kind, pattern] of [
    ['shell_to_interpreter', SHELL_INTERPRETER],
    ['reverse_shell', REVERSE_SHELL],
    ['destructive_shell', DESTRUCTIVE_SHELL],
    ['sql_change', SQL_CHANGE],
    ['force_push', FORCE_PUSH],
    ['grant', GRANT_TEXT],
  ] as const) {
    if (pattern.test(v)) found.push({ kind, text: v })
  }
  if (GRANT_VALUE.test(v.trim()) && /role|permission|access|privilege/i.test(leaf.name))
    found.push({ kind: 'grant', text: v })
  if (PUBLIC_NAME.test(leaf.name) && PUBLIC_VALUE.test(v.trim()))
    found.push({ kind: 'public_sharing', text: v })
  return found
}

/**
 * Where text occurs: the request, planted instructions (against the principal), other data the request pointed at,
 * other data.
 */
function placesOf(
  state: TaskState,
  text: string,
): { request: boolean; planted: number[]; designated: boolean; data: number[] } {
  const c = canonicalText(text).slice(0, 400)
  const request = c.length > 0 && (state.prompt.includes(c) || state.trusted.includes(c))
  const planted: number[] = []
  const data: number[] = []
  let designated = false
  if (c.length >= 6) {
    for (const output of state.outputs) {
      // Instructions in a record the request named, that address no AI, are the principal's own (decision 003).
      const against = againstPrincipal(output)
      for (const chunk of output.chunks) {
        if (!chunk.text.includes(c)) continue
        if (chunk.tainted && against) planted.push(output.seq)
        else {
          data.push(output.seq)
          designated ||= output.designated
        }
      }
    }
  }
  return { request, planted: [...new Set(planted)], designated, data: [...new Set(data)] }
}

/** The request names the operation's own kind of effect (public, owner, admin, push --force, …) in its words. */
function requestNames(state: TaskState, op: Operation): boolean {
  const words: Record<string, RegExp> = {
    public_sharing: /\b(?:public|publish|anyone|everyone|web)\b/,
    grant: /\b(?:owner|admin|administrator|grant|maintain|privileges?|permissions?|roles?)\b/,
    force_push: /\bforce\b/,
  }
  const pattern = words[op.kind]
  return pattern !== undefined && pattern.test(state.promptRaw)
}

/**
 * Text a tool runs, taken from the record the request named, in a task that asks for an action and read no planted
 * instructions: the principal's own material ("Apply the statement stored in approved_changes row 7"). A tool that
 * runs text names its mechanism (`query`, `run_command`), not its effect, so the request cannot ask for it by name.
 */
function principalsText(
  state: TaskState,
  def: ToolDefinition | undefined,
  place: { designated: boolean; data: number[] },
  planted: number,
): boolean {
  if (def === undefined || !runsText(def) || planted > 0 || !place.designated) return false
  const sources = state.outputs.filter((output) => place.data.includes(output.seq))
  return sources.every((output) => output.designated) && askedStems(state).size > 0
}

export function detectSinks(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
): Signal[] {
  const def = definition ?? state.tools.get(tool)
  // A tool that runs text it is given does what that text says, whatever its name ("query" runs an UPDATE as
  // readily as a SELECT): only the server's own word (`readOnlyHint: true`) makes it a read.
  const write = isWrite(def) || (def !== undefined && runsText(def) && def.annotations?.readOnlyHint !== true)
  if (!write && !isOpenWorld(def)) return []
  // Whether the request asks for the action, worked out only for a call that carries something to weigh.
  let askedMemo: boolean | undefined
  const asked = () => {
    askedMemo ??= def === undefined || isAsked(state, def)
    return askedMemo
  }
  const tainted = state.outputs.filter(againstPrincipal)
  const signals: Signal[] = []
  const seen = new Set<string>()
  // Personal data leaves the task's reach through an open-world call (MCP's hint, or no hint on a write).
  const outbound = write ? def?.annotations?.openWorldHint !== false : true
  for (const leaf of argumentLeaves(args)) {
    for (const secret of secretsIn(leaf.value)) {
      const c = canonical(secret)
      if (seen.has(`secret:${c}`) || state.prompt.includes(c)) continue
      seen.add(`secret:${c}`)
      const closed = def?.annotations?.openWorldHint === false
      const from = state.outputs.find((output) => output.secrets.includes(c))
      signals.push({
        kind: 'secret_to_sink',
        severity: closed && asked() ? 'high' : 'critical',
        summary: `\`${leaf.path}\` of \`${tool}\` carries a secret the request did not give`,
        evidence: from ? [from.seq] : [],
        refs: ['OWASP-ASI:ASI03', 'OWASP-NHI:NHI2'],
        detail: {
          principle: 'content',
          output: from?.seq,
          argument: leaf.path,
          value: `${secret.slice(0, 4)}…(${secret.length} characters)`,
        },
      })
    }
    if (outbound) {
      for (const card of cardNumbersIn(leaf.value)) {
        if (seen.has(`card:${card}`) || state.prompt.includes(card)) continue
        seen.add(`card:${card}`)
        signals.push({
          kind: 'personal_data_to_sink',
          // A card goes out on the principal's word only: a request that speaks of no payment did not send it.
          severity: tainted.length > 0 || !PAYMENT_WORDS.test(state.promptRaw) ? 'critical' : 'high',
          summary: `\`${leaf.path}\` of \`${tool}\` sends a payment card number the request did not give`,
          evidence: tainted.map((o) => o.seq),
          refs: ['OWASP-ASI:ASI02', 'OWASP-LLM:LLM02'],
          detail: { principle: 'content', argument: leaf.path, value: `…${card.slice(-4)}` },
        })
      }
    }
    for (const op of operationsIn(leaf)) {
      if (seen.has(`${op.kind}:${leaf.path}`)) continue
      seen.add(`${op.kind}:${leaf.path}`)
      const place = placesOf(state, op.text)
      if (place.request) continue
      const flag = op.kind === 'public_sharing' || (op.kind === 'grant' && op.text.length < 40)
      let severity: Signal['severity'] | undefined
      if (flag) {
        // A setting (public: true, role: owner) is not text to trace: the request names that effect, or not.
        if (!requestNames(state, op)) severity = tainted.length > 0 ? 'critical' : 'medium'
      } else if (place.planted.length > 0) severity = 'critical'
      else if (
        !asked() &&
        !(op.kind === 'force_push' && requestNames(state, op)) &&
        !principalsText(state, def, place, tainted.length)
      )
        // Not asked for: after planted instructions, or with its text from data the request did not name, or from
        // any data in a task that asks for nothing to be done (only to read or to be told), it is the data's
        // action; from the very document a request that asks for some action named, a human should see it.
        severity =
          tainted.length > 0 || (place.data.length > 0 && (!place.designated || askedStems(state).size === 0))
            ? 'critical'
            : 'high'
      else if (place.data.length > 0 && !place.designated && tainted.length > 0) severity = 'high'
      if (!severity) continue
      const source = place.planted[0] ?? place.data[0] ?? tainted.at(-1)?.seq
      const output = state.outputs.find((o) => o.seq === source)
      signals.push({
        kind: 'consequential_operation',
        severity,
        summary: `\`${leaf.path}\` of \`${tool}\` performs ${op.kind.replace(/_/g, ' ')} that the request did not write`,
        evidence: [...new Set([...place.planted, ...place.data, ...tainted.map((o) => o.seq)])],
        refs: ['OWASP-ASI:ASI02', 'OWASP-ASI:ASI05'],
        detail: {
          principle: 'content',
          output: source,
          span: output?.spans[0]?.text.slice(0, 200),
          argument: leaf.path,
          value: op.text.slice(0, 120),
        },
      })
    }
  }
  return signals
}
