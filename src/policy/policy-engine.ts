import {
  type CedarValueJson,
  type EntityJson,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs'
import type { CatalogTool } from '../catalog/index.js'
import type { Logger } from '../kernel/index.js'
import type { CommonTypes, SchemaType } from './cedar-values.js'
import {
  formatProblem,
  type ParsedPolicies,
  type PolicyProblem,
  type PolicySource,
  parsePolicies,
  validatePolicies,
} from './policy-set.js'
import { buildSchema, serverNamespace } from './schema.js'

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

interface ActiveSet {
  parsed: ParsedPolicies
  schema: Record<string, unknown>
  schemaName: string
  fullId: string
  withoutEscalationsId: string
  catalogKey: string
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
    private readonly options: { validateRequests: boolean },
  ) {}

  /** True when the set in force was built with this exact tool definition in its schema. */
  knows(tool: CatalogTool): boolean {
    return this.active?.catalogKey.split('|').includes(toolKey(tool)) ?? false
  }

  /** The version (digest) of the set in force, if any. */
  get version(): string | null {
    return this.active?.parsed.version ?? null
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
    const { schema, untyped } = buildSchema(tools)
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
    const withoutEscalations = Object.fromEntries(
      Object.entries(all).filter(([id]) => !parsed.parsed.escalations.has(id)),
    )
    for (const [id, policies] of [
      [`full:${tag}`, all],
      [`noesc:${tag}`, withoutEscalations],
    ] as const) {
      const answer = preparsePolicySet(id, { staticPolicies: policies })
      if (answer.type === 'failure') {
        return this.refuse(
          answer.errors.map((e) => ({
            file: '(policies)',
            line: 1,
            col: 1,
            policyId: null,
            message: e.message,
          })),
        )
      }
    }
    this.active = {
      parsed: parsed.parsed,
      schema,
      schemaName,
      fullId: `full:${tag}`,
      withoutEscalationsId: `noesc:${tag}`,
      catalogKey: catalogKey(tools),
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

  private refuse(problems: PolicyProblem[]): LoadResult {
    this.lastProblems = problems
    this.logger.error('policy set refused; the last good set keeps serving', {
      problems: problems.map(formatProblem),
      serving: this.version,
    })
    return { ok: false, problems }
  }

  /** The generated type of a tool's `context.input`, with the common types it may name. */
  inputType(server: string, tool: string): { type: SchemaType; common: CommonTypes } | undefined {
    const ns = serverNamespace(server)
    const fragment = this.active?.schema[ns] as
      | {
          commonTypes?: Record<string, SchemaType>
          actions?: Record<string, { appliesTo?: { context?: SchemaType } }>
        }
      | undefined
    const input = fragment?.actions?.[tool]?.appliesTo?.context?.attributes?.input
    if (!input) return undefined
    const common = new Map<string, SchemaType>()
    for (const [name, value] of Object.entries(this.active?.schema ?? {})) {
      for (const [typeName, type] of Object.entries(
        (value as { commonTypes?: Record<string, SchemaType> }).commonTypes ?? {},
      )) {
        common.set(`${name}::${typeName}`, type)
        if (name === ns) common.set(typeName, type)
      }
    }
    return { type: input, common }
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
    if (Object.keys(active.parsed.policies).length === 0) {
      return { effect: 'deny', reasons: [], errors: ['the policy set is empty'], policyVersion: version }
    }
    const run = (setId: string) => {
      try {
        return statefulIsAuthorized({
          principal: request.principal,
          action: request.action,
          resource: request.resource,
          context: request.context,
          entities: request.entities,
          preparsedPolicySetId: setId,
          ...(this.options.validateRequests
            ? { preparsedSchemaName: active.schemaName, validateRequest: true }
            : {}),
        })
      } catch (error) {
        return { type: 'failure' as const, errors: [{ message: String(error) }], warnings: [] }
      }
    }
    const answer = run(options.approved ? active.withoutEscalationsId : active.fullId)
    if (answer.type === 'failure') {
      return {
        effect: 'deny',
        reasons: [],
        errors: answer.errors.map((e) => e.message),
        policyVersion: version,
      }
    }
    const { decision, diagnostics } = answer.response
    if (diagnostics.errors.length > 0) {
      // INVARIANT: any evaluation error denies, whatever Cedar decided without the erroring policy.
      return {
        effect: 'deny',
        reasons: diagnostics.reason,
        errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
        policyVersion: version,
      }
    }
    if (decision === 'allow')
      return { effect: 'allow', reasons: diagnostics.reason, errors: [], policyVersion: version }
    const determining = diagnostics.reason
    if (determining.length === 0 || !determining.every((id) => active.parsed.escalations.has(id))) {
      return { effect: 'deny', reasons: determining, errors: [], policyVersion: version }
    }
    // Only escalation policies stand in the way: would the rest allow it?
    const rest = run(active.withoutEscalationsId)
    if (
      rest.type === 'success' &&
      rest.response.decision === 'allow' &&
      rest.response.diagnostics.errors.length === 0
    ) {
      return { effect: 'escalate', reasons: determining, errors: [], policyVersion: version }
    }
    return { effect: 'deny', reasons: determining, errors: [], policyVersion: version }
  }
}

function toolKey(tool: CatalogTool): string {
  return `${tool.server}/${tool.name}@${tool.digest}`
}

function catalogKey(tools: readonly CatalogTool[]): string {
  return tools.map(toolKey).join('|')
}
