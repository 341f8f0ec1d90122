import type { CatalogTool } from '../../src/catalog/index.js'
import type { DecisionFacts } from '../../src/policy/index.js'

/** The facts of a declared call of `tool` by a standard-tier agent with no signals: only the arguments vary. */
export function callFacts(tool: CatalogTool, args: Record<string, unknown>, agent = 'agent'): DecisionFacts {
  return {
    now: Date.UTC(2026, 0, 5, 10),
    agent: { name: agent, owner: 'o@example.com', tier: 'standard', entitlements: [tool.name] },
    instance: { id: 'i1', spiffeId: `spiffe://warden.local/agent/${agent}/i1` },
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
  }
}
