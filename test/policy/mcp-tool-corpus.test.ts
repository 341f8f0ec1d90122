import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { CatalogTool } from '../../src/catalog/index.js'
import { judge } from '../../src/enforcement/index.js'
import { silentLogger } from '../../src/kernel/index.js'
import { ArgumentValidator, inputShapeOf, PolicyEngine, serverNamespace } from '../../src/policy/index.js'
import { callFacts } from '../fakes/decision-facts.js'
import {
  cedarString,
  conditionsFor,
  corpusTools,
  invalidCall,
  readCorpus,
  type ShapeKind,
  validCall,
} from './mcp-tool-corpus.js'

// Every tool of every server in test/corpus/mcp-tools (real `tools/list` answers of popular MCP servers, taken by
// scripts/mcp-tool-corpus.mjs): its schema types, a valid call generated from it converts and is allowed, an
// invalid one is denied with the validation error, and policies reading its arguments decide as written.
// Parsing a Cedar schema of every corpus tool takes seconds on a busy machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 })

const corpus = readCorpus()
const tools = corpusTools(corpus)
const validator = new ArgumentValidator()
const calls = new Map<CatalogTool, Record<string, unknown>>(
  tools.map((tool) => [tool, validCall(tool, validator)]),
)

const PERMIT_ALL = { file: 'permit.cedar', text: '@id("all") permit (principal, action, resource);' }

const facts = callFacts

function engineWith(validateRequests: boolean, ...sources: { file: string; text: string }[]): PolicyEngine {
  const engine = new PolicyEngine(silentLogger, { validateRequests })
  const loaded = engine.load(sources, tools)
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems.slice(0, 5)))
  return engine
}

describe('the MCP tool corpus', () => {
  it('holds at least 15 servers, each with its package and version', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15)
    for (const file of corpus) {
      expect(file.package).toMatch(/^(@[\w.-]+\/)?[\w.-]+$/)
      expect(file.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(file.tools.length).toBeGreaterThan(0)
    }
    console.info(`mcp tool corpus: ${corpus.length} servers, ${tools.length} tools`)
  })

  describe.each([true, false])('with Cedar checking each request against the schema: %s', (checked) => {
    let permissive: PolicyEngine
    beforeAll(() => {
      permissive = engineWith(checked, PERMIT_ALL)
    })

    it('types every tool: a generated valid call converts and is allowed', () => {
      const failures: string[] = []
      for (const tool of tools) {
        const decision = judge(permissive, validator, facts(tool, calls.get(tool) as Record<string, unknown>))
        if (decision.effect !== 'allow' || decision.errors.length > 0)
          failures.push(`${tool.server}/${tool.name}: ${decision.effect} ${decision.errors.join('; ')}`)
      }
      expect(failures).toEqual([])
    })

    it('denies a generated invalid call of every tool with the validation error', () => {
      const failures: string[] = []
      let open = 0
      for (const tool of tools) {
        const invalid = invalidCall(tool, calls.get(tool) as Record<string, unknown>, validator)
        if (!invalid) {
          open += 1
          continue
        }
        const decision = judge(permissive, validator, facts(tool, invalid))
        if (
          decision.effect !== 'deny' ||
          !/^arguments do not match the schema/.test(decision.errors[0] ?? '')
        )
          failures.push(`${tool.server}/${tool.name}: ${decision.effect} ${decision.errors.join('; ')}`)
      }
      expect(failures).toEqual([])
      // Only a schema that accepts every object has no invalid call.
      expect(open).toBeLessThan(tools.length / 10)
    })
  })

  it('decides policies that read every argument of every tool as written', () => {
    const kinds = new Set<ShapeKind>()
    const matching: string[] = []
    const negated: string[] = []
    const expected = new Map<CatalogTool, string>()
    for (const [i, tool] of tools.entries()) {
      const shape = inputShapeOf(tool.definition.inputSchema)
      const conditions = conditionsFor('context.input', calls.get(tool), shape, kinds)
      if (conditions.length === 0) continue
      const scope = `principal, action == ${serverNamespace(tool.server)}::Action::${cedarString(tool.name)}, resource`
      matching.push(`@id("t${i}") forbid (${scope}) when { ${conditions.join(' && ')} };`)
      negated.push(`@id("t${i}") forbid (${scope}) unless { ${conditions.join(' && ')} };`)
      expected.set(tool, `args.cedar#t${i}`)
    }
    const forbidMatching = engineWith(true, PERMIT_ALL, {
      file: 'args.cedar',
      text: matching.join('\n'),
    })
    const forbidOthers = engineWith(true, PERMIT_ALL, { file: 'args.cedar', text: negated.join('\n') })
    const failures: string[] = []
    for (const tool of tools) {
      const call = facts(tool, calls.get(tool) as Record<string, unknown>)
      const reason = expected.get(tool)
      const denied = judge(forbidMatching, validator, call)
      const allowed = judge(forbidOthers, validator, call)
      const want = reason
        ? { effect: 'deny', reasons: [reason], errors: [] }
        : { effect: 'allow', errors: [] }
      if (
        JSON.stringify({
          effect: denied.effect,
          reasons: reason ? denied.reasons : undefined,
          errors: denied.errors,
        }) !== JSON.stringify({ effect: want.effect, reasons: reason ? want.reasons : undefined, errors: [] })
      )
        failures.push(`${tool.server}/${tool.name} (matching): ${JSON.stringify(denied)}`)
      if (allowed.effect !== 'allow')
        failures.push(`${tool.server}/${tool.name} (negated): ${JSON.stringify(allowed)}`)
    }
    expect(failures).toEqual([])
    expect([...kinds].sort()).toEqual(
      ['boolean', 'decimal', 'json', 'long', 'optional', 'record', 'set', 'string'].sort(),
    )
  })
})
