import { createHash } from 'node:crypto'
import {
  checkParsePolicySet,
  type DetailedError,
  policySetTextToParts,
  policyToJson,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs'

/** A `.cedar` file's name and text. */
export interface PolicySource {
  file: string
  text: string
}

/** Where a policy came from. */
export interface PolicyOrigin {
  file: string
  line: number
  col: number
  /** Offset of the policy's text in its file. */
  offset: number
}

/** A problem in a policy set, located as `file:line:col`. */
export interface PolicyProblem {
  file: string
  line: number
  col: number
  policyId: string | null
  message: string
}

/** A parsed policy set: stable ids (`file#@id`), the escalation policies, and a version digest. */
export interface ParsedPolicies {
  version: string
  /** Policy id → policy text. */
  policies: Record<string, string>
  origins: Map<string, PolicyOrigin>
  /** Ids of `forbid` policies annotated `@escalate`: they hold a call for a human instead of denying it. */
  escalations: Set<string>
  /** How many policies are `permit`s: a set without one allows nothing. */
  permits: number
  /** Each policy's action scope: `all`, or the action uids (`Type::"id"`) it names with `==` or `in`. */
  actionScopes: Map<string, 'all' | string[]>
  /**
   * Each policy's tier guard: `all`, or the tiers it can apply to — for any other tier its conditions are false
   * without evaluating anything that could error, so leaving it out changes no decision.
   */
  tierGuards: Map<string, TierGuard>
}

/** The tiers a policy can apply to (`all` when its conditions do not pin `context.tier`). */
export type TierGuard = 'all' | ReadonlySet<string>

/** The uid key of an action, as action scopes name it. */
export function actionKey(type: string, id: string): string {
  return `${type}::${JSON.stringify(id)}`
}

function scopeOf(constraint: unknown): 'all' | string[] {
  const c = constraint as { op?: string; entity?: unknown; entities?: unknown[] } | undefined
  if (!c || c.op === 'All') return 'all'
  const refs = c.entities ?? (c.entity ? [c.entity] : [])
  const keys: string[] = []
  for (const ref of refs) {
    const r = ref as { __entity?: { type: string; id: string }; type?: string; id?: string }
    const uid = r.__entity ?? r
    if (typeof uid.type !== 'string' || typeof uid.id !== 'string') return 'all'
    keys.push(actionKey(uid.type, uid.id))
  }
  return keys
}

type Expr = Record<string, unknown>

/** `context.tier == "x"` (either way round) → `x`. */
function tierCompared(expr: Expr): string | undefined {
  const eq = expr['=='] as { left: Expr; right: Expr } | undefined
  if (!eq) return undefined
  const isTier = (e: Expr) => {
    const dot = e['.'] as { left: Expr; attr: string } | undefined
    return dot?.attr === 'tier' && (dot.left as { Var?: string }).Var === 'context'
  }
  const value = (e: Expr) => (typeof e.Value === 'string' ? e.Value : undefined)
  if (isTier(eq.left)) return value(eq.right)
  if (isTier(eq.right)) return value(eq.left)
  return undefined
}

/** True for tier comparisons joined by `&&` / `||`: they evaluate without error (every context has a tier). */
function pureTierTest(expr: Expr): boolean {
  if (tierCompared(expr) !== undefined) return true
  const op = (expr['&&'] ?? expr['||']) as { left: Expr; right: Expr } | undefined
  return op !== undefined && pureTierTest(op.left) && pureTierTest(op.right)
}

function intersect(a: TierGuard, b: TierGuard): TierGuard {
  if (a === 'all') return b
  if (b === 'all') return a
  return new Set([...a].filter((tier) => b.has(tier)))
}

/**
 * The tiers for which `expr` may be true. For any other tier it is false and evaluating it raises no error —
 * `&&` short-circuits left to right, so a right-hand guard only counts after a left side that cannot error.
 */
function guardOf(expr: Expr): TierGuard {
  const tier = tierCompared(expr)
  if (tier !== undefined) return new Set([tier])
  const and = expr['&&'] as { left: Expr; right: Expr } | undefined
  if (and) {
    const left = guardOf(and.left)
    return pureTierTest(and.left) ? intersect(left, guardOf(and.right)) : left
  }
  const or = expr['||'] as { left: Expr; right: Expr } | undefined
  if (or) {
    const left = guardOf(or.left)
    const right = guardOf(or.right)
    return left === 'all' || right === 'all' ? 'all' : new Set([...left, ...right])
  }
  return 'all'
}

/** A policy's tier guard: its `when` conditions, in order, as long as those before are pure tier tests. */
function tierGuardOf(conditions: ReadonlyArray<{ kind: string; body: unknown }>): TierGuard {
  let guard: TierGuard = 'all'
  for (const condition of conditions) {
    if (condition.kind !== 'when') break
    const body = condition.body as Expr
    guard = intersect(guard, guardOf(body))
    if (!pureTierTest(body)) break
  }
  return guard
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1
      lineStart = i + 1
    }
  }
  return { line, col: offset - lineStart + 1 }
}

function messageOf(error: DetailedError): string {
  const labels = (error.sourceLocations ?? []).map((l) => l.label).filter(Boolean)
  const help = error.help ? ` (${error.help})` : ''
  return `${error.message}${labels.length ? `: ${labels.join('; ')}` : ''}${help}`
}

/**
 * Parses `.cedar` sources into one policy set with stable ids: the file name plus the policy's `@id`
 * annotation (or its position in the file when it has none). Reports every problem as `file:line:col`.
 */
export function parsePolicies(
  sources: readonly PolicySource[],
): { ok: true; parsed: ParsedPolicies } | { ok: false; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = []
  const policies: Record<string, string> = {}
  const origins = new Map<string, PolicyOrigin>()
  const escalations = new Set<string>()
  let permits = 0
  const actionScopes = new Map<string, 'all' | string[]>()
  const tierGuards = new Map<string, TierGuard>()
  const sorted = [...sources].sort((a, b) => (a.file < b.file ? -1 : 1))
  for (const source of sorted) {
    const parsed = checkParsePolicySet({ staticPolicies: source.text })
    if (parsed.type === 'failure') {
      for (const error of parsed.errors) {
        const at = lineCol(source.text, error.sourceLocations?.[0]?.start ?? 0)
        problems.push({ file: source.file, ...at, policyId: null, message: messageOf(error) })
      }
      continue
    }
    const parts = policySetTextToParts(source.text)
    if (parts.type === 'failure') {
      problems.push({
        file: source.file,
        line: 1,
        col: 1,
        policyId: null,
        message: parts.errors.map(messageOf).join('; '),
      })
      continue
    }
    if (parts.policy_templates.length > 0) {
      problems.push({
        file: source.file,
        line: 1,
        col: 1,
        policyId: null,
        message: 'policy templates are not supported',
      })
    }
    let cursor = 0
    for (const [index, text] of parts.policies.entries()) {
      const offset = Math.max(0, source.text.indexOf(text, cursor))
      cursor = offset + text.length
      const at = lineCol(source.text, offset)
      const json = policyToJson(text)
      const annotations = json.type === 'success' ? (json.json.annotations ?? {}) : {}
      const id = `${source.file}#${annotations.id ?? index + 1}`
      if (policies[id] !== undefined) {
        problems.push({ file: source.file, ...at, policyId: id, message: `duplicate policy id \`${id}\`` })
        continue
      }
      if ('escalate' in annotations) {
        if (json.type === 'success' && json.json.effect !== 'forbid') {
          problems.push({
            file: source.file,
            ...at,
            policyId: id,
            message: '`@escalate` applies to `forbid` policies only',
          })
        }
        escalations.add(id)
      }
      policies[id] = text
      if (json.type === 'success' && json.json.effect === 'permit') permits += 1
      origins.set(id, { file: source.file, offset, ...at })
      actionScopes.set(id, json.type === 'success' ? scopeOf(json.json.action) : 'all')
      tierGuards.set(id, json.type === 'success' ? tierGuardOf(json.json.conditions as never) : 'all')
    }
  }
  if (problems.length > 0) return { ok: false, problems }
  const digest = createHash('sha256')
  for (const source of sorted) digest.update(`${source.file}\n${source.text}\n`)
  return {
    ok: true,
    parsed: {
      version: `sha256:${digest.digest('hex').slice(0, 16)}`,
      policies,
      origins,
      escalations,
      permits,
      actionScopes,
      tierGuards,
    },
  }
}

/** Strict validation of every policy against the schema; problems located in their files. */
export function validatePolicies(
  parsed: ParsedPolicies,
  schema: Record<string, unknown>,
  sources: readonly PolicySource[],
): PolicyProblem[] {
  const answer = validate({
    schema: schema as never,
    policies: { staticPolicies: parsed.policies },
    validationSettings: { mode: 'strict' },
  })
  if (answer.type === 'failure') {
    return answer.errors.map((error) => ({
      file: '(schema)',
      line: 1,
      col: 1,
      policyId: null,
      message: messageOf(error),
    }))
  }
  const texts = new Map(sources.map((source) => [source.file, source.text]))
  return answer.validationErrors.map((problem) => {
    const origin = parsed.origins.get(problem.policyId)
    const text = origin ? (texts.get(origin.file) ?? '') : ''
    const offset = (origin?.offset ?? 0) + (problem.error.sourceLocations?.[0]?.start ?? 0)
    return {
      file: origin?.file ?? '(unknown)',
      ...lineCol(text, offset),
      policyId: problem.policyId,
      message: messageOf(problem.error),
    }
  })
}

/** `file:line:col: message` */
export function formatProblem(problem: PolicyProblem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.policyId ? `[${problem.policyId}] ` : ''}${problem.message}`
}
