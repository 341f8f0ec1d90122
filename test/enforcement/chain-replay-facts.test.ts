import { describe, expect, it } from 'vitest'
import { unstoredTool } from '../../src/catalog/index.js'
import type { ActivityEventV1 } from '../../src/chain/index.js'
import { ChainReplayer } from '../../src/enforcement/index.js'

const T = Date.UTC(2026, 0, 5, 9, 0, 0)
const AGENT = 'spiffe://warden.local/agent/bot/i1'
const HELPER = 'spiffe://warden.local/agent/helper/i2'
const read = unstoredTool('files', {
  name: 'read_file',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
  annotations: { readOnlyHint: true },
})

const POLICIES = [
  {
    file: 'p.cedar',
    text: `@id("declared") permit (principal, action in Warden::Action::"call_tool", resource) when { context.task.declared };
@id("old-task") forbid (principal, action, resource) when { context.task.ageSeconds >= 60 };
@id("no-deep-delegation") forbid (principal, action, resource) when { context.task.depth > 0 && context.tier == "low" };`,
  },
]

let seq = 0
function record(
  kind: ActivityEventV1['kind'],
  ts: number,
  task: string | null,
  agent: string | null,
  body: Record<string, unknown>,
): ActivityEventV1 {
  seq += 1
  return { v: 1, seq, id: `r${seq}`, ts, task, agent, kind, body, redacted: [], prev: '', hash: '' }
}

function call(
  task: string,
  agent: string,
  id: string,
  ts: number,
  effect: string,
  now?: number,
): ActivityEventV1[] {
  const args = { path: '/a' }
  return [
    record('tool.call', ts, task, agent, {
      call: id,
      action: 'tools/call',
      tool: 'read_file',
      server: 'files',
      toolDigest: read.digest,
      args,
    }),
    record('decision', ts + 2, task, agent, {
      call: id,
      effect,
      reasons: [],
      signals: [],
      approval: null,
      ...(now === undefined ? {} : { now }),
    }),
  ]
}

describe('ChainReplayer', () => {
  it("decides at the instants the records hold: the time the policies saw and the task's own opening", () => {
    seq = 0
    const records = [
      record('agent.register', T - 1000, null, 'spiffe://warden.local/agent/bot', {
        name: 'bot',
        owner: 'o@example.com',
        tier: 'standard',
        entitlements: ['read_file'],
      }),
      // The task's record is written 30 ms after the task itself.
      record('task.open', T + 30, 't1', AGENT, {
        agent: 'bot',
        tier: 'standard',
        intent: { purpose: 'p', tools: ['read_file'] },
        openedAt: T,
      }),
      // Decided 60 s after the opening, recorded 20 ms earlier than that: the task is a minute old.
      ...call('t1', AGENT, 'c1', T + 59_980, 'deny', T + 60_000),
      // Positive control: decided at 59.9 s.
      ...call('t1', AGENT, 'c2', T + 59_880, 'allow', T + 59_900),
    ]
    const replayer = new ChainReplayer({ policies: POLICIES, tools: [read], behaviour: 'recorded' })
    const out = records.map((r) => replayer.next(r)).filter((d) => d !== undefined)
    expect(out.map((d) => [d.call, d.replayed.effect, d.changed])).toEqual([
      ['c1', 'deny', false],
      ['c2', 'allow', false],
    ])
    expect(out[0]?.replayed.reasons).toEqual(['p.cedar#old-task'])
  })

  it('rebuilds a delegated task from its delegation: narrower scope, depth, the stricter tier', () => {
    seq = 0
    const records = [
      record('agent.register', T, null, null, {
        name: 'bot',
        owner: 'o@example.com',
        tier: 'standard',
        entitlements: ['read_file'],
      }),
      record('agent.register', T, null, null, {
        name: 'helper',
        owner: 'o@example.com',
        tier: 'low',
        entitlements: ['read_file'],
      }),
      record('task.open', T, 't1', AGENT, {
        agent: 'bot',
        tier: 'standard',
        intent: { purpose: 'p', tools: ['read_file'] },
        openedAt: T,
      }),
      record('delegation', T, 't1', AGENT, {
        child: 't2',
        to: HELPER,
        scope: ['read_file'],
        tier: 'low',
        depth: 1,
        act: { sub: HELPER, act: { sub: AGENT } },
      }),
      record('task.open', T, 't2', HELPER, { agent: 'helper', tier: 'low', parent: 't1', openedAt: T }),
      ...call('t1', AGENT, 'c1', T + 1000, 'allow', T + 1000),
      ...call('t2', HELPER, 'c2', T + 1000, 'deny', T + 1000),
    ]
    const replayer = new ChainReplayer({ policies: POLICIES, tools: [read], behaviour: 'recorded' })
    const out = records.map((r) => replayer.next(r)).filter((d) => d !== undefined)
    expect(out.map((d) => [d.call, d.replayed.effect, d.replayed.reasons])).toEqual([
      ['c1', 'allow', ['p.cedar#declared']],
      ['c2', 'deny', ['p.cedar#no-deep-delegation']],
    ])
  })
})
