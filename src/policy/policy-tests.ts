import { z } from 'zod'
import { type CatalogTool, type ToolDefinition, unstoredTool } from '../catalog/index.js'
import { silentLogger } from '../kernel/index.js'
import { ArgumentValidator } from './argument-validator.js'
import { type CoverageReport, CoverageTracker } from './policy-coverage.js'
import { type Effect, PolicyEngine } from './policy-engine.js'
import { formatProblem, type PolicySource, parsePolicies } from './policy-set.js'
import { buildRequest, type DecisionFacts } from './request-builder.js'

const severity = z.enum(['low', 'medium', 'high', 'critical'])

const testCase = z
  .object({
    name: z.string().min(1),
    agent: z
      .object({
        name: z.string().default('agent'),
        owner: z.string().default('owner@example.com'),
        tier: z.enum(['critical', 'high', 'standard', 'low']).default('standard'),
        entitlements: z.array(z.string()).optional(),
      })
      .strict()
      .prefault({}),
    task: z
      .object({
        purpose: z.string().default('test'),
        tools: z.array(z.string()).optional(),
        dataClasses: z.array(z.string()).default([]),
        depth: z.number().int().min(0).default(0),
        ageSeconds: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
    request: z.union([
      z
        .object({ server: z.string(), tool: z.string(), args: z.record(z.string(), z.unknown()).default({}) })
        .strict(),
      z
        .object({
          server: z.string(),
          resource: z.string(),
          sensitivity: z.enum(['public', 'internal', 'confidential', 'restricted']).default('internal'),
        })
        .strict(),
    ]),
    risk: z.number().min(0).max(100).default(0),
    signals: z.array(z.object({ kind: z.string(), severity }).strict()).default([]),
    approved: z.boolean().default(false),
    now: z.iso.datetime().default('2026-01-05T10:00:00Z'),
    expect: z.enum(['allow', 'deny', 'escalate']),
    /** When given, each of these policy ids must be among the decision's reasons. */
    reasons: z.array(z.string()).optional(),
  })
  .strict()

/** A test file: the tools the cases call (by server) and the cases. */
export const policyTestFile = z
  .object({
    tools: z
      .record(
        z.string(),
        z.array(
          z.looseObject({
            name: z.string(),
            description: z.string().optional(),
            inputSchema: z.looseObject({}),
            annotations: z.looseObject({}).optional(),
            sensitivity: z.enum(['public', 'internal', 'confidential', 'restricted']).optional(),
          }),
        ),
      )
      .default({}),
    cases: z.array(testCase).min(1),
  })
  .strict()

export type PolicyTestFile = z.input<typeof policyTestFile>

/** One case's outcome. */
export interface CaseResult {
  file: string
  name: string
  passed: boolean
  expected: Effect
  actual: Effect
  detail: string
}

/** What `runPolicyTests` can be asked beyond running every case. */
export interface PolicyTestOptions {
  allowEmpty?: boolean
  /** Run only the cases this accepts (by file and case name). */
  select?: (file: string, name: string) => boolean
  /** Measure policy and clause coverage over the cases run (`policy-coverage.ts`). */
  coverage?: boolean
}

/**
 * Runs policy test cases (as `opa test` does for Rego): every case builds the same request the pipeline would
 * — entities, context, typed arguments — and compares the effect (and, optionally, the reasons).
 */
export function runPolicyTests(
  policies: readonly PolicySource[],
  files: ReadonlyArray<{ file: string; content: unknown }>,
  options: PolicyTestOptions = {},
): { loadErrors: string[]; results: CaseResult[]; coverage?: CoverageReport } {
  const parsedFiles: Array<{ file: string; spec: z.output<typeof policyTestFile> }> = []
  const loadErrors: string[] = []
  for (const { file, content } of files) {
    const parsed = policyTestFile.safeParse(content)
    if (!parsed.success) {
      loadErrors.push(
        `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      )
    } else {
      parsedFiles.push({ file, spec: parsed.data })
    }
  }
  const tools: CatalogTool[] = []
  for (const { spec } of parsedFiles) {
    for (const [server, definitions] of Object.entries(spec.tools)) {
      for (const { sensitivity, ...definition } of definitions) {
        if (tools.some((t) => t.server === server && t.name === definition.name)) continue
        tools.push(unstoredTool(server, definition as unknown as ToolDefinition, sensitivity))
      }
    }
  }
  const engine = new PolicyEngine(silentLogger, {
    validateRequests: true,
    allowEmpty: options.allowEmpty === true,
  })
  const loaded = engine.load(policies, tools)
  if (!loaded.ok) return { loadErrors: [...loadErrors, ...loaded.problems.map(formatProblem)], results: [] }
  const validator = new ArgumentValidator()
  const parsed = options.coverage ? parsePolicies(policies) : undefined
  const tracker = parsed?.ok ? new CoverageTracker(parsed.parsed, engine.schema) : undefined

  const results: CaseResult[] = []
  for (const { file, spec } of parsedFiles) {
    for (const c of spec.cases) {
      if (options.select && !options.select(file, c.name)) continue
      const now = Date.parse(c.now)
      const result = (actual: Effect, detail: string, reasons: string[] = []): CaseResult => {
        const reasonsOk = (c.reasons ?? []).every((id) => reasons.includes(id))
        return {
          file,
          name: c.name,
          expected: c.expect,
          actual,
          passed: actual === c.expect && reasonsOk,
          detail: reasonsOk ? detail : `${detail}; expected reasons ${JSON.stringify(c.reasons)}`,
        }
      }
      let target: DecisionFacts['target']
      let args: Record<string, unknown> = {}
      if ('tool' in c.request) {
        const req = c.request
        const tool = tools.find((t) => t.server === req.server && t.name === req.tool)
        if (!tool) {
          results.push(result('deny', `no tool \`${req.server}/${req.tool}\` in the test file`))
          continue
        }
        args = req.args
        const mismatch = validator.check(tool, args)
        if (mismatch) {
          results.push(result('deny', mismatch))
          continue
        }
        target = { kind: 'tool', tool }
      } else {
        target = {
          kind: 'resource',
          server: c.request.server,
          uri: c.request.resource,
          sensitivity: c.request.sensitivity,
        }
      }
      const toolName = 'tool' in c.request ? c.request.tool : null
      const built = buildRequest(
        {
          now,
          agent: { ...c.agent, entitlements: c.agent.entitlements ?? (toolName ? [toolName] : []) },
          instance: {
            id: 'test-instance',
            spiffeId: `spiffe://warden.local/agent/${c.agent.name}/test-instance`,
          },
          task: {
            id: 'test-task',
            purpose: c.task.purpose,
            tools: c.task.tools ?? (toolName ? [toolName] : []),
            dataClasses: c.task.dataClasses,
            depth: c.task.depth,
            parent: null,
            openedAt: now - c.task.ageSeconds * 1000,
            chain: [],
          },
          target,
          args,
          approved: c.approved,
          behaviour: {
            risk: c.risk,
            signals: c.signals.map((s) => ({ ...s, summary: s.kind, evidence: [], refs: [] })),
          },
        },
        engine,
      )
      if (!built.ok) {
        results.push(result('deny', built.error))
        continue
      }
      const decision = engine.decide(built.request, { approved: c.approved })
      tracker?.observe(built.request, decision.reasons)
      results.push(
        result(
          decision.effect,
          `reasons ${JSON.stringify(decision.reasons)}${decision.errors.length ? ` errors ${JSON.stringify(decision.errors)}` : ''}`,
          decision.reasons,
        ),
      )
    }
  }
  return { loadErrors, results, ...(tracker ? { coverage: tracker.report() } : {}) }
}
