import {
  type ArgumentValidator,
  buildRequest,
  type DecisionFacts,
  type PolicyDecision,
  type PolicyEngine,
  withoutNullOptionals,
} from '../policy/index.js'

/**
 * Step ⑤ of the pipeline, shared by live traffic and replay so both decide alike: the arguments against the
 * tool's pinned schema, then the Cedar request built from the facts, then the policies.
 */
export function judge(
  engine: PolicyEngine,
  validator: ArgumentValidator,
  facts: DecisionFacts,
): PolicyDecision {
  if (facts.target.kind === 'tool') {
    const mismatch = validator.check(facts.target.tool, facts.args)
    if (mismatch) return { effect: 'deny', reasons: [], errors: [mismatch], policyVersion: engine.version }
    facts = { ...facts, args: withoutNullOptionals(facts.target.tool, facts.args) }
  }
  const built = buildRequest(facts, engine)
  if (!built.ok) return { effect: 'deny', reasons: [], errors: [built.error], policyVersion: engine.version }
  return engine.decide(built.request, { approved: facts.approved })
}
