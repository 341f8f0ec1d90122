import { isAuthorized, type PolicyJson, policyToJson, policyToText } from '@cedar-policy/cedar-wasm/nodejs'
import type { PolicyRequest } from './policy-engine.js'
import type { ParsedPolicies } from './policy-set.js'

/** One `when` or `unless` block of a policy, and what the tests showed of it. */
export interface ClauseCoverage {
  /** 1-based position among the policy's conditions. */
  index: number
  kind: 'when' | 'unless'
  /** The condition as Cedar prints it. */
  text: string
  /** Tests in which every other part of the policy held and this clause let it apply. */
  holds: number
  /** Tests in which every other part of the policy held and this clause alone kept it from applying. */
  stops: number
}

/** One policy's coverage over a test run. */
export interface PolicyCoverage {
  id: string
  effect: 'permit' | 'forbid'
  /** Tests in which its scope and all its conditions held (it applied, whatever the final decision). */
  applied: number
  /** Tests whose decision named it among the determining policies. */
  determining: number
  clauses: ClauseCoverage[]
}

/** What a test run exercised: per policy and per clause, and what it did not. */
export interface CoverageReport {
  policies: PolicyCoverage[]
  /** Policies that applied in no test. */
  untestedPolicies: string[]
  /** Clauses (`id` + `when #n`) no test showed stopping their policy, in policies that did apply. */
  untestedClauses: Array<{ policy: string; index: number; kind: 'when' | 'unless'; text: string }>
}

type Condition = PolicyJson['conditions'][number]

interface Probe {
  /** Synthetic policy id → what it measures. */
  kind: 'applies' | 'others'
  policy: string
  clause?: number
}

/**
 * Policy and clause coverage for policy tests, measured by Cedar itself, never guessed from the text. Each policy
 * is turned into synthetic `permit`s with the same scope (a policy's effect does not change how its scope and
 * conditions evaluate):
 * - `applies`: the policy's scope and every condition, as written — satisfied exactly when the policy applies;
 * - `others(i)`: the scope and every condition but the i-th, in their order — satisfied exactly when the i-th
 *   clause is the one thing that decides whether the policy applies in that test.
 * Each test's request is evaluated against all of them at once (permits only, so Cedar's determining policies are
 * every satisfied one). Where `others(i)` holds, the clause was decisive: it `holds` when the policy applied too,
 * and `stops` when it did not. A synthetic policy that errors counts as not satisfied, so a clause guarded by
 * another (`has` before a read) is never credited with what Cedar would not have evaluated.
 */
export class CoverageTracker {
  private readonly probes: Record<string, PolicyJson> = {}
  private readonly meaning = new Map<string, Probe>()
  private readonly coverage = new Map<string, PolicyCoverage>()

  constructor(
    parsed: ParsedPolicies,
    private readonly schema: Record<string, unknown> | undefined,
  ) {
    for (const [id, text] of Object.entries(parsed.policies)) {
      const json = policyToJson(text)
      if (json.type !== 'success') continue
      const policy = json.json
      const { annotations: _annotations, ...rest } = policy
      const probe = (conditions: Condition[]): PolicyJson => ({ ...rest, effect: 'permit', conditions })
      const n = this.meaning.size
      this.probes[`p${n}`] = probe(policy.conditions)
      this.meaning.set(`p${n}`, { kind: 'applies', policy: id })
      const clauses: ClauseCoverage[] = []
      for (const [i, condition] of policy.conditions.entries()) {
        const key = `p${n}c${i + 1}`
        this.probes[key] = probe(policy.conditions.filter((_, j) => j !== i))
        this.meaning.set(key, { kind: 'others', policy: id, clause: i + 1 })
        clauses.push({
          index: i + 1,
          kind: condition.kind,
          text: conditionText(condition),
          holds: 0,
          stops: 0,
        })
      }
      this.coverage.set(id, { id, effect: policy.effect, applied: 0, determining: 0, clauses })
    }
  }

  /** Records one test's request and the policies its decision named. */
  observe(request: PolicyRequest, determining: readonly string[]): void {
    for (const id of determining) {
      const entry = this.coverage.get(id)
      if (entry) entry.determining += 1
    }
    const answer = isAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
      entities: request.entities,
      policies: { staticPolicies: this.probes },
      ...(this.schema ? { schema: this.schema as never, validateRequest: true } : {}),
    })
    if (answer.type !== 'success') return
    const satisfied = new Set(answer.response.diagnostics.reason)
    const applied = new Set<string>()
    for (const key of satisfied) {
      const probe = this.meaning.get(key)
      if (probe?.kind === 'applies') applied.add(probe.policy)
    }
    for (const id of applied) {
      const entry = this.coverage.get(id)
      if (entry) entry.applied += 1
    }
    for (const key of satisfied) {
      const probe = this.meaning.get(key)
      if (probe?.kind !== 'others' || probe.clause === undefined) continue
      const clause = this.coverage.get(probe.policy)?.clauses[probe.clause - 1]
      if (!clause) continue
      if (applied.has(probe.policy)) clause.holds += 1
      else clause.stops += 1
    }
  }

  /** The coverage so far. */
  report(): CoverageReport {
    const policies = [...this.coverage.values()]
    return {
      policies,
      untestedPolicies: policies.filter((p) => p.applied === 0).map((p) => p.id),
      untestedClauses: policies
        .filter((p) => p.applied > 0)
        .flatMap((p) =>
          p.clauses
            .filter((c) => c.stops === 0)
            .map((c) => ({ policy: p.id, index: c.index, kind: c.kind, text: c.text })),
        ),
    }
  }
}

/** A condition's expression as Cedar prints it (through a one-condition policy). */
function conditionText(condition: Condition): string {
  const text = policyToText({
    effect: 'permit',
    principal: { op: 'All' },
    action: { op: 'All' },
    resource: { op: 'All' },
    conditions: [condition],
  })
  if (text.type !== 'success') return condition.kind
  const match = /\b(when|unless)\s*\{([\s\S]*)\}\s*;\s*$/.exec(text.text)
  return match ? `${match[1]} { ${(match[2] ?? '').trim().replace(/\s+/g, ' ')} }` : text.text.trim()
}
