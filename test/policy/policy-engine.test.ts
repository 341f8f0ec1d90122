import { beforeEach, describe, expect, it } from 'vitest'
import { type CatalogTool, unstoredTool } from '../../src/catalog/index.js'
import { silentLogger } from '../../src/kernel/index.js'
import {
  ArgumentValidator,
  buildRequest,
  type DecisionFacts,
  PolicyEngine,
  type PolicySource,
} from '../../src/policy/index.js'

const pay = unstoredTool('payments', {
  name: 'transfer',
  description: 'Transfer money',
  inputSchema: {
    type: 'object',
    properties: { amount: { type: 'number' }, iban: { type: 'string' }, memo: { type: 'string' } },
    required: ['amount', 'iban'],
  },
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
})
const mail = unstoredTool('mail', {
  name: 'send_email',
  description: 'Send mail',
  inputSchema: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] },
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
})
const TOOLS = [pay, mail]

const PERMIT_DECLARED = `@id("declared")
permit (principal, action in Warden::Action::"call_tool", resource is Warden::Tool) when { context.task.declared };`

let validateRequests = true

function engineWith(...texts: string[]): PolicyEngine {
  const engine = new PolicyEngine(silentLogger, { validateRequests })
  const result = engine.load(
    texts.map((text, i) => ({ file: `p${i}.cedar`, text })),
    TOOLS,
  )
  if (!result.ok) throw new Error(JSON.stringify(result.problems))
  return engine
}

function decide(
  engine: PolicyEngine,
  tool: CatalogTool,
  args: Record<string, unknown>,
  extra: Partial<DecisionFacts> = {},
) {
  const facts: DecisionFacts = {
    now: Date.UTC(2026, 0, 5, 10),
    agent: { name: 'billing', owner: 'o@example.com', tier: 'standard', entitlements: [tool.name] },
    instance: { id: 'i1', spiffeId: 'spiffe://warden.local/agent/billing/i1' },
    task: {
      id: 't1',
      purpose: 'p',
      tools: [tool.name],
      dataClasses: [],
      depth: 0,
      parent: null,
      openedAt: 0,
      chain: [],
    },
    target: { kind: 'tool', tool },
    args,
    approved: false,
    behaviour: { signals: [], risk: 0 },
    ...extra,
  }
  const mismatch = new ArgumentValidator().check(tool, args)
  if (mismatch) return { effect: 'deny' as const, reasons: [], errors: [mismatch], policyVersion: null }
  const built = buildRequest(facts, engine)
  if (!built.ok) return { effect: 'deny' as const, reasons: [], errors: [built.error], policyVersion: null }
  return engine.decide(built.request, { approved: facts.approved })
}

describe.each([true, false])(
  'policy engine (Cedar checks each request against the schema: %s)',
  (checked) => {
    beforeEach(() => {
      validateRequests = checked
    })

    it('caps an amount argument (typed as a decimal)', () => {
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("cap") forbid (principal, action == Warden::payments::Action::"transfer", resource)
       when { context.input.amount.greaterThan(decimal("1000.00")) };`,
      )
      expect(decide(engine, pay, { amount: 999.99, iban: 'DE00' }).effect).toBe('allow')
      const over = decide(engine, pay, { amount: 1000.01, iban: 'DE00' })
      expect(over).toMatchObject({ effect: 'deny', reasons: ['p1.cedar#cap'] })
    })

    it('allows only recipients of one domain', () => {
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("domain") forbid (principal, action == Warden::mail::Action::"send_email", resource)
       unless { context.input.to like "*@corp.example" };`,
      )
      expect(decide(engine, mail, { to: 'ann@corp.example' }).effect).toBe('allow')
      expect(decide(engine, mail, { to: 'attacker@evil.example' }).effect).toBe('deny')
    })

    it('escalates when only an @escalate policy stands in the way, and allows once approved', () => {
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("big") @escalate("large transfer") forbid (principal, action == Warden::payments::Action::"transfer", resource)
       when { context.input.amount.greaterThan(decimal("500.00")) };`,
      )
      expect(decide(engine, pay, { amount: 700, iban: 'DE00' })).toMatchObject({
        effect: 'escalate',
        reasons: ['p1.cedar#big'],
      })
      expect(decide(engine, pay, { amount: 700, iban: 'DE00' }, { approved: true }).effect).toBe('allow')
      // No permit behind the escalation: deny, not escalate.
      const undeclared = decide(
        engine,
        pay,
        { amount: 700, iban: 'DE00' },
        {
          task: {
            id: 't',
            purpose: 'p',
            tools: [],
            dataClasses: [],
            depth: 0,
            parent: null,
            openedAt: 0,
            chain: [],
          },
        },
      )
      expect(undeclared.effect).toBe('deny')
    })

    it('denies when a forbid errors at evaluation time, although Cedar would skip it and allow', () => {
      // Overflow is a runtime error that strict validation cannot see.
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("overflows") forbid (principal, action, resource) when { context.task.ageSeconds * 9223372036854775807 > 1 };`,
      )
      const decision = decide(
        engine,
        mail,
        { to: 'a@corp.example' },
        {
          task: {
            id: 't',
            purpose: 'p',
            tools: ['send_email'],
            dataClasses: [],
            depth: 0,
            parent: null,
            openedAt: 0,
            chain: [],
          },
        },
      )
      expect(decision.effect).toBe('deny')
      expect(decision.errors.join(' ')).toContain('p1.cedar#overflows')
    })

    it('denies with an empty policy set, and with no set loaded', () => {
      const none = new PolicyEngine(silentLogger, { validateRequests })
      expect(
        none.decide({
          principal: { type: 'a', id: 'b' },
          action: { type: 'a', id: 'b' },
          resource: { type: 'a', id: 'b' },
          context: {},
          entities: [],
        }).effect,
      ).toBe('deny')
      const empty = new PolicyEngine(silentLogger, { validateRequests, allowEmpty: true })
      expect(empty.load([], TOOLS).ok).toBe(true)
      const decision = decide(empty, mail, { to: 'x' })
      expect(decision).toMatchObject({ effect: 'deny' })
      expect(decision.errors).toEqual(['the policy set is empty'])
    })

    it('refuses a set that permits nothing unless it is meant, and keeps the last good set serving', () => {
      const engine = engineWith(`@id("all") permit (principal, action, resource);`)
      for (const sources of [
        [],
        [{ file: 'only-forbids.cedar', text: `@id("no") forbid (principal, action, resource);` }],
      ]) {
        const refused = engine.load(sources, TOOLS)
        expect(refused.ok).toBe(false)
        if (!refused.ok) expect(refused.problems[0]?.message).toContain('allows nothing')
        // The last good set still decides.
        expect(decide(engine, mail, { to: 'x' }).effect).toBe('allow')
      }
      const meant = new PolicyEngine(silentLogger, { validateRequests, allowEmpty: true })
      expect(
        meant.load([{ file: 'f.cedar', text: `@id("no") forbid (principal, action, resource);` }], TOOLS).ok,
      ).toBe(true)
      expect(decide(meant, mail, { to: 'x' }).effect).toBe('deny')
    })

    it('denies arguments that do not match the tool schema before any policy runs', () => {
      const engine = engineWith(`@id("all") permit (principal, action, resource);`)
      const decision = decide(engine, pay, { amount: 'lots', iban: 'DE00' })
      expect(decision.effect).toBe('deny')
      expect(decision.errors[0]).toContain('arguments do not match')
    })

    it('refuses an invalid set with file:line:col and keeps serving the last good one', () => {
      const engine = engineWith(PERMIT_DECLARED)
      const good = engine.version
      const broken: PolicySource[] = [
        { file: 'ok.cedar', text: PERMIT_DECLARED },
        {
          file: 'typo.cedar',
          text: '\n\n@id("x") permit (principal, action, resource) when { context.nope == 1 };',
        },
      ]
      const result = engine.load(broken, TOOLS)
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.problems[0]).toMatchObject({ file: 'typo.cedar', line: 3, policyId: 'typo.cedar#x' })
        expect(result.problems[0]?.col).toBeGreaterThan(1)
      }
      expect(engine.version).toBe(good)
      expect(decide(engine, mail, { to: 'a' }).effect).toBe('allow')

      const syntax = engine.load(
        [{ file: 'bad.cedar', text: 'permit (principal, action, resource) when { 1 + };' }],
        TOOLS,
      )
      expect(syntax.ok).toBe(false)
      if (!syntax.ok) expect(syntax.problems[0]).toMatchObject({ file: 'bad.cedar', line: 1 })
    })

    it('sends Cedar what the policies read, however they read it', () => {
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("who") forbid (principal, action, resource) when { principal.spiffeId like "*/evil/*" };`,
        `@id("has") forbid (principal, action, resource) when { context has task && context.task.depth > 2 };`,
        `@id("nested") forbid (principal, action, resource is Warden::Tool) when { resource.sensitivity == "restricted" };`,
      )
      expect(decide(engine, mail, { to: 'a' }).effect).toBe('allow')
      expect(
        decide(
          engine,
          mail,
          { to: 'a' },
          { instance: { id: 'i9', spiffeId: 'spiffe://warden.local/agent/evil/i9' } },
        ).reasons,
      ).toEqual(['p1.cedar#who'])
      const deep = decide(
        engine,
        mail,
        { to: 'a' },
        {
          task: {
            id: 't',
            purpose: 'p',
            tools: ['send_email'],
            dataClasses: [],
            depth: 3,
            parent: 'x',
            openedAt: 0,
            chain: [],
          },
        },
      )
      expect(deep.reasons).toEqual(['p2.cedar#has'])
      expect(decide(engine, { ...mail, sensitivity: 'restricted' }, { to: 'a' }).reasons).toEqual([
        'p3.cedar#nested',
      ])
    })

    it('leaves out policies guarded on another tier, never one whose guard comes after a test that can error', () => {
      const overflow = 'context.task.ageSeconds * 9223372036854775807 > 1'
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("critical-first") forbid (principal, action, resource) when { (context.tier == "critical" || context.tier == "high") && ${overflow} };`,
        `@id("guard-last") forbid (principal, action, resource) when { context.task.depth > 5 && ${overflow} && context.tier == "low" };`,
        `@id("guard-after-error") forbid (principal, action, resource) when { ${overflow} && context.tier == "low" };`,
      )
      const tierOf = (tier: string) => ({
        agent: { name: 'billing', owner: 'o@example.com', tier, entitlements: ['send_email'] },
        task: {
          id: 't',
          purpose: 'p',
          tools: ['send_email'],
          dataClasses: [],
          depth: 0,
          parent: null,
          openedAt: 0,
          chain: [],
        },
      })
      // standard: `critical-first` is out (false without evaluating the overflow), `guard-after-error` is not.
      const standard = decide(engine, mail, { to: 'a' }, tierOf('standard'))
      expect(standard.effect).toBe('deny')
      expect(standard.errors.join(' ')).toContain('guard-after-error')
      expect(standard.errors.join(' ')).not.toContain('critical-first')
      const critical = decide(engine, mail, { to: 'a' }, tierOf('critical'))
      expect(critical.errors.join(' ')).toContain('critical-first')
    })

    it('sends the whole ancestor chain when a policy tests it, not only the types it names', () => {
      // Instance → Agent → Owner: a test on the owner must walk through the agent, which no policy names.
      const engine = engineWith(
        PERMIT_DECLARED,
        `@id("owner") forbid (principal is Warden::Instance in Warden::Owner::"evil@example.com", action, resource);`,
      )
      expect(decide(engine, mail, { to: 'a' }).effect).toBe('allow')
      const evil = decide(
        engine,
        mail,
        { to: 'a' },
        {
          agent: {
            name: 'billing',
            owner: 'evil@example.com',
            tier: 'standard',
            entitlements: ['send_email'],
          },
        },
      )
      expect(evil.reasons).toEqual(['p1.cedar#owner'])
    })

    it('gives every policy a stable id from its file and @id, and records the set version', () => {
      const engine = engineWith(PERMIT_DECLARED)
      const decision = decide(engine, mail, { to: 'a' })
      expect(decision.reasons).toEqual(['p0.cedar#declared'])
      expect(decision.policyVersion).toMatch(/^sha256:/)
    })
  },
)
