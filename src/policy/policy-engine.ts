import { setFlagsFromString } from 'node:v8'
import {
  type AuthorizationAnswer,
  type CedarValueJson,
  type EntityJson,
  preparsePolicySet,
  preparseSchema,
  type StatefulAuthorizationCall,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs'
import type { CatalogTool } from '../catalog/index.js'
import type { Logger } from '../kernel/index.js'
import type { InputShape } from './input-shape.js'
import {
  actionKey,
  formatProblem,
  type ParsedPolicies,
  type PolicyProblem,
  type PolicySource,
  parsePolicies,
  validatePolicies,
} from './policy-set.js'
import { buildSchema } from './schema.js'

// WORKAROUND: V8 11.3 (Node 20) can crash the whole process ("Fatal error … unreachable code" in the
// deoptimizer) when optimised code that inlined a JS→Wasm call to cedar-wasm is lazily deoptimised. Reproduced
// by test/fixtures/decision-soak.mjs (about 1 run in 5); with inlining of JS→Wasm calls off, 0 in 10, for ~12 %
// on a decision. Set when this module loads, before any decision is optimised.
if (process.versions.v8.startsWith('11.')) setFlagsFromString('--no-turbo-inline-js-wasm-calls')

/** A Cedar entity reference. */
export interface EntityRef {
  type: string
  id: string
}

/** One request as Cedar sees it: the slice of entities it touches, and the context. */
export interface PolicyRequest {
  principal: EntityRef
  action: EntityRef
  resource: EntityRef
  context: Record<string, CedarValueJson>
  entities: EntityJson[]
}

/** allow, deny, or hold for a human. */
export type Effect = 'allow' | 'deny' | 'escalate'

/** What the policies decided, why, and on which version of them. */
export interface PolicyDecision {
  effect: Effect
  /** Ids of the determining policies (`file#id`). */
  reasons: string[]
  /** Any error denies; each is listed here. */
  errors: string[]
  policyVersion: string | null
}

/** The outcome of loading a policy set. */
export type LoadResult =
  | { ok: true; version: string; policies: number; untyped: string[] }
  | { ok: false; problems: PolicyProblem[] }

/** Attribute paths a policy set can read from one variable: `all`, or names with their read sub-attributes. */
type Reads = 'all' | Map<string, Set<string> | 'all'>

/** The policies that can apply to one action, preparsed, and what of a request they can read. */
interface Partition {
  full: string
  withoutEscalations: string
  context: Reads
  principal: Reads
  resource: Reads
  /** Whether the policies need the principal's / resource's entity at all (an attribute or an `in` test). */
  sendPrincipal: boolean
  sendResource: boolean
  /**
   * Some policy tests the principal's or resource's ancestors: every entity of the request goes, since the test
   * walks the whole chain (instance → agent → owner), not only the types a policy names.
   */
  sendAncestors: boolean
  /** Entity types the policies name literally (e.g. `Warden::Agent::"billing"`), whose entities must be sent. */
  types: Set<string>
  /** Recent decisions by their exact Cedar input (bounded). */
  decisions: Map<string, PolicyDecision>
}

/** Decisions remembered per partition. */
const DECISION_CACHE = 4096

/**
 * What a variable's attributes the policy texts can read: `var.a` and `var.a.b` (one level of records). Any
 * other access (`var has a`, `var["a"]`, `var.a has b`, `var.a["b"]`) keeps everything. Conservative by design:
 * it may send more than needed, never less.
 */
function readsOfVariable(texts: readonly string[], variable: string): Reads {
  const reads = new Map<string, Set<string> | 'all'>()
  const pattern = new RegExp(
    `\\b${variable}\\b(\\s*\\.\\s*([A-Za-z_]\\w*)(\\s*\\.\\s*([A-Za-z_]\\w*))?)?(\\s*(has\\b|\\[))?`,
    'g',
  )
  for (const text of texts) {
    for (const m of text.matchAll(pattern)) {
      const [, , first, , second, , opaque] = m
      if (!first) {
        if (opaque) return 'all'
        continue
      }
      if (!second || opaque) {
        reads.set(first, 'all')
        continue
      }
      const current = reads.get(first)
      if (current === 'all') continue
      reads.set(first, new Set([...(current ?? []), second]))
    }
  }
  return reads
}

/** True when some policy tests the variable's ancestors (`var in …`, `var is T in …`). */
function testsAncestors(texts: readonly string[], variable: string): boolean {
  const pattern = new RegExp(`\\b${variable}\\s+(is\\s+[A-Za-z_][\\w:]*\\s+)?in\\b`)
  return texts.some((text) => pattern.test(text))
}

type ReadsOf = Pick<
  Partition,
  'context' | 'principal' | 'resource' | 'types' | 'sendPrincipal' | 'sendResource' | 'sendAncestors'
>

function readsOf(texts: readonly string[]): ReadsOf {
  const types = new Set<string>()
  for (const text of texts) {
    for (const match of text.matchAll(/Warden::([A-Za-z_][A-Za-z0-9_]*)::"/g))
      types.add(`Warden::${match[1]}`)
  }
  const principal = readsOfVariable(texts, 'principal')
  const resource = readsOfVariable(texts, 'resource')
  const needed = (reads: Reads, variable: string) =>
    reads === 'all' || reads.size > 0 || testsAncestors(texts, variable)
  return {
    context: readsOfVariable(texts, 'context'),
    principal,
    resource,
    sendPrincipal: needed(principal, 'principal'),
    sendResource: needed(resource, 'resource'),
    sendAncestors: testsAncestors(texts, 'principal') || testsAncestors(texts, 'resource'),
    types,
  }
}

/** Keeps the attributes `reads` names (records trimmed one level down). */
function trim(attrs: Record<string, CedarValueJson>, reads: Reads): Record<string, CedarValueJson> {
  if (reads === 'all') return attrs
  const out: Record<string, CedarValueJson> = {}
  for (const [name, sub] of reads) {
    const value = attrs[name]
    if (value === undefined) continue
    if (
      sub === 'all' ||
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      '__extn' in value ||
      '__entity' in value
    ) {
      out[name] = value
      continue
    }
    const record = value as Record<string, CedarValueJson>
    const kept: Record<string, CedarValueJson> = {}
    for (const key of sub) if (Object.hasOwn(record, key)) kept[key] = record[key] as CedarValueJson
    out[name] = kept
  }
  return out
}

interface ActiveSet {
  parsed: ParsedPolicies
  /** How many policies the set holds (counted once: every decision asks). */
  count: number
  schema: Record<string, unknown>
  schemaName: string
  tag: string
  /** Per action and tier: the preparsed policies that can apply to it, with and without escalations. */
  partitions: Map<string, Partition | { error: string }>
  catalogKey: string
  /** Each tool's argument shape (`server/tool` →), as typed in the schema. */
  inputs: Map<string, InputShape>
  /** Action entities with their groups, for requests decided without the schema (which otherwise supplies them). */
  actionEntities: Map<string, EntityJson>
}

function actionEntitiesOf(schema: Record<string, unknown>): Map<string, EntityJson> {
  const out = new Map<string, EntityJson>()
  for (const [ns, fragment] of Object.entries(schema)) {
    const actions =
      (fragment as { actions?: Record<string, { memberOf?: Array<{ type?: string; id: string }> }> })
        .actions ?? {}
    for (const [id, action] of Object.entries(actions)) {
      const type = `${ns}::Action`
      const parents = (action.memberOf ?? []).map((parent) => ({ type: parent.type ?? type, id: parent.id }))
      out.set(`${type}::${id}`, { uid: { type, id }, attrs: {}, parents })
    }
  }
  return out
}

let generation = 0

/**
 * Decides requests on Cedar (cedar-wasm, stateful API: policies and schema are parsed once per load, never per
 * request). Fails closed: no loaded set, an empty set, a request Cedar cannot evaluate, or *any* policy
 * evaluation error denies — Cedar itself skips an erroring policy, which could let a `permit` through a broken
 * `forbid`. A set that does not parse or validate is refused and the last good set keeps serving.
 */
export class PolicyEngine {
  private active: ActiveSet | undefined
  private lastProblems: PolicyProblem[] = []

  constructor(
    private readonly logger: Logger,
    private readonly options: {
      validateRequests: boolean
      /** Load a set with no `permit` (it denies everything); otherwise such a set is refused as a mistake. */
      allowEmpty?: boolean
    },
  ) {}

  /** True when the set in force was built with this exact tool definition in its schema. */
  knows(tool: CatalogTool): boolean {
    return this.active?.catalogKey.split('|').includes(toolKey(tool)) ?? false
  }

  /** The version (digest) of the set in force, if any. */
  get version(): string | null {
    return this.active?.parsed.version ?? null
  }

  /** How many policies the set in force holds (0 when none is). */
  get policyCount(): number {
    return this.active?.count ?? 0
  }

  /** Problems of the last refused load (empty when the last load succeeded). */
  get problems(): readonly PolicyProblem[] {
    return this.lastProblems
  }

  /** The Cedar schema in force (JSON), for `warden policy schema` and the docs. */
  get schema(): Record<string, unknown> | undefined {
    return this.active?.schema
  }

  /** Parses, validates (strict, against the schema built from `tools`) and activates a policy set. */
  load(sources: readonly PolicySource[], tools: readonly CatalogTool[]): LoadResult {
    const parsed = parsePolicies(sources)
    if (!parsed.ok) return this.refuse(parsed.problems)
    if (parsed.parsed.permits === 0 && this.options.allowEmpty !== true) {
      // An empty directory, a wrong path or a set of forbids only: it would deny every call. Refused, so the last
      // good set keeps serving, unless the operator says it is meant (`policy.allowEmpty`, `--allow-empty`).
      return this.refuse([
        {
          file: '(policy set)',
          line: 1,
          col: 1,
          policyId: null,
          message: `the policy set has ${Object.keys(parsed.parsed.policies).length} policies and no \`permit\`: it allows nothing (set \`policy.allowEmpty: true\` or pass \`--allow-empty\` if that is meant)`,
        },
      ])
    }
    const { schema, inputs, untyped } = buildSchema(tools)
    const problems = validatePolicies(parsed.parsed, schema, sources)
    if (problems.length > 0) return this.refuse(problems)

    generation += 1
    const tag = `${parsed.parsed.version}:${generation}`
    const schemaName = `schema:${tag}`
    const schemaAnswer = preparseSchema(schemaName, schema as never)
    if (schemaAnswer.type === 'failure') {
      return this.refuse(
        schemaAnswer.errors.map((e) => ({
          file: '(schema)',
          line: 1,
          col: 1,
          policyId: null,
          message: e.message,
        })),
      )
    }
    const all = parsed.parsed.policies
    this.active = {
      parsed: parsed.parsed,
      count: Object.keys(all).length,
      schema,
      schemaName,
      tag,
      partitions: new Map(),
      catalogKey: catalogKey(tools),
      actionEntities: actionEntitiesOf(schema),
      inputs,
    }
    this.lastProblems = []
    this.logger.info('policy set loaded', {
      version: parsed.parsed.version,
      policies: Object.keys(all).length,
    })
    return {
      ok: true,
      version: parsed.parsed.version,
      policies: Object.keys(all).length,
      untyped: [...untyped.keys()],
    }
  }

  private partitionFor(active: ActiveSet, action: EntityRef, tier: string): Partition | { error: string } {
    const key = `${action.type}::${action.id}@${tier}`
    let partition = active.partitions.get(key)
    if (!partition) {
      const ids = applicable(active, action, tier)
      const pick = (keep: (id: string) => boolean) =>
        Object.fromEntries(ids.filter(keep).map((id) => [id, active.parsed.policies[id] as string]))
      const full = `full:${active.tag}:${key}`
      const withoutEscalations = `noesc:${active.tag}:${key}`
      const answers = [
        preparsePolicySet(full, { staticPolicies: pick(() => true) }),
        preparsePolicySet(withoutEscalations, {
          staticPolicies: pick((id) => !active.parsed.escalations.has(id)),
        }),
      ]
      const failed = answers.find((answer) => answer.type === 'failure')
      partition =
        failed && failed.type === 'failure'
          ? {
              error: `policies for \`${key}\` could not be prepared: ${failed.errors.map((e) => e.message).join('; ')}`,
            }
          : {
              full,
              withoutEscalations,
              ...readsOf(ids.map((id) => active.parsed.policies[id] as string)),
              decisions: new Map(),
            }
      active.partitions.set(key, partition)
    }
    return partition
  }

  private refuse(problems: PolicyProblem[]): LoadResult {
    this.lastProblems = problems
    this.logger.error('policy set refused; the last good set keeps serving', {
      problems: problems.map(formatProblem),
      serving: this.version,
    })
    return { ok: false, problems }
  }

  /** The shape a tool's arguments are typed by in the set in force (undefined for a tool it was not built with). */
  inputShape(server: string, tool: string): InputShape | undefined {
    return this.active?.inputs.get(`${server}/${tool}`)
  }

  /**
   * Decides a request. `approved` means a human approved this exact call: escalation policies then step aside,
   * and the call is allowed only if the rest of the set allows it.
   */
  decide(request: PolicyRequest, options: { approved?: boolean } = {}): PolicyDecision {
    const active = this.active
    if (!active)
      return { effect: 'deny', reasons: [], errors: ['no valid policy set is loaded'], policyVersion: null }
    const version = active.parsed.version
    if (active.count === 0) {
      return { effect: 'deny', reasons: [], errors: ['the policy set is empty'], policyVersion: version }
    }
    const tier = request.context.tier
    const partition = this.partitionFor(active, request.action, typeof tier === 'string' ? tier : '')
    if ('error' in partition)
      return { effect: 'deny', reasons: [], errors: [partition.error], policyVersion: version }
    let entities = request.entities
    let context = request.context
    if (!this.options.validateRequests) {
      // Without the schema (which would demand every attribute), send Cedar only what these policies can read:
      // its cost grows with every value it parses. The principal and resource go when a policy reads them; the
      // other entities when a policy tests ancestors, or names their type; the action entity carries its groups.
      const kept: EntityJson[] = []
      for (const entity of entities) {
        const uid = entity.uid as EntityRef
        if (uid.type === request.principal.type && uid.id === request.principal.id) {
          if (partition.sendPrincipal)
            kept.push({ ...entity, attrs: trim(entity.attrs, partition.principal) })
        } else if (uid.type === request.resource.type && uid.id === request.resource.id) {
          if (partition.sendResource) kept.push({ ...entity, attrs: trim(entity.attrs, partition.resource) })
        } else if (partition.sendAncestors || partition.types.has(uid.type)) {
          kept.push(entity)
        }
      }
      entities = kept
      const actionEntity = active.actionEntities.get(`${request.action.type}::${request.action.id}`)
      if (actionEntity) entities.push(actionEntity)
      context = trim(context, partition.context)
    }
    // Cedar is deterministic: the same trimmed request against the same partition gets the same answer.
    const key = JSON.stringify([
      options.approved === true,
      request.principal,
      request.action,
      request.resource,
      context,
      entities,
    ])
    const cached = partition.decisions.get(key)
    if (cached) return copyOf(cached)
    const decided = this.evaluate(
      active,
      partition,
      { ...request, context, entities },
      options.approved === true,
    )
    if (partition.decisions.size >= DECISION_CACHE)
      partition.decisions.delete(partition.decisions.keys().next().value as string)
    partition.decisions.set(key, decided)
    return copyOf(decided)
  }

  private evaluate(
    active: ActiveSet,
    partition: Partition,
    request: PolicyRequest,
    approved: boolean,
  ): PolicyDecision {
    const version = active.parsed.version
    const schemaName = this.options.validateRequests ? active.schemaName : undefined
    const answer = callCedar(request, approved ? partition.withoutEscalations : partition.full, schemaName)
    if (answer.type === 'failure') {
      const errors: string[] = []
      for (const error of answer.errors) errors.push(error.message)
      return { effect: 'deny', reasons: [], errors, policyVersion: version }
    }
    const { decision, diagnostics } = answer.response
    if (diagnostics.errors.length > 0) {
      // INVARIANT: any evaluation error denies, whatever Cedar decided without the erroring policy.
      const errors: string[] = []
      for (const error of diagnostics.errors) errors.push(`${error.policyId}: ${error.error.message}`)
      return { effect: 'deny', reasons: diagnostics.reason, errors, policyVersion: version }
    }
    if (decision === 'allow')
      return { effect: 'allow', reasons: diagnostics.reason, errors: [], policyVersion: version }
    const determining = diagnostics.reason
    let onlyEscalations = determining.length > 0
    for (const id of determining) if (!active.parsed.escalations.has(id)) onlyEscalations = false
    if (!onlyEscalations) return { effect: 'deny', reasons: determining, errors: [], policyVersion: version }
    // Only escalation policies stand in the way: would the rest allow it?
    const rest = callCedar(request, partition.withoutEscalations, schemaName)
    const allowed =
      rest.type === 'success' &&
      rest.response.decision === 'allow' &&
      rest.response.diagnostics.errors.length === 0
    return { effect: allowed ? 'escalate' : 'deny', reasons: determining, errors: [], policyVersion: version }
  }
}

/** A cached decision as its own value (callers may replace its members), built without a slow object spread. */
function copyOf(decision: PolicyDecision): PolicyDecision {
  return {
    effect: decision.effect,
    reasons: decision.reasons,
    errors: decision.errors,
    policyVersion: decision.policyVersion,
  }
}

/** One call into cedar-wasm (see the V8 workaround at the top of this file). */
function callCedar(
  request: PolicyRequest,
  setId: string,
  schemaName: string | undefined,
): AuthorizationAnswer {
  const call: StatefulAuthorizationCall = {
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    context: request.context,
    entities: request.entities,
    preparsedPolicySetId: setId,
  }
  if (schemaName !== undefined) {
    call.preparsedSchemaName = schemaName
    call.validateRequest = true
  }
  try {
    return statefulIsAuthorized(call)
  } catch (error) {
    return {
      type: 'failure',
      errors: [{ message: String(error), help: null, code: null, url: null, severity: null }],
      warnings: [],
    }
  }
}

/**
 * The policies that can apply to an action for a tier: those whose action scope is unconstrained, names the
 * action, or names a group it belongs to, and whose tier guard admits the tier. Cedar evaluates every policy it
 * is given (~2.5 µs each, research/perf-baselines.md), so the hot path hands it only these; each partition is
 * preparsed once, on first use.
 */
function applicable(active: ActiveSet, action: EntityRef, tier: string): string[] {
  const self = actionKey(action.type, action.id)
  const keys = new Set([self])
  const queue = [active.actionEntities.get(`${action.type}::${action.id}`)]
  while (queue.length > 0) {
    const entity = queue.pop()
    for (const parent of entity?.parents ?? []) {
      const p = parent as { type: string; id: string }
      const key = actionKey(p.type, p.id)
      if (!keys.has(key)) {
        keys.add(key)
        queue.push(active.actionEntities.get(`${p.type}::${p.id}`))
      }
    }
  }
  return Object.keys(active.parsed.policies).filter((id) => {
    const scope = active.parsed.actionScopes.get(id) ?? 'all'
    const guard = active.parsed.tierGuards.get(id) ?? 'all'
    return (scope === 'all' || scope.some((key) => keys.has(key))) && (guard === 'all' || guard.has(tier))
  })
}

function toolKey(tool: CatalogTool): string {
  return `${tool.server}/${tool.name}@${tool.digest}`
}

function catalogKey(tools: readonly CatalogTool[]): string {
  return tools.map(toolKey).join('|')
}
