import { Replayer, type Trace } from '../src/enforcement/index.js'
import { readPolicyDirectory } from '../src/policy/index.js'
import { round, type Suite } from './harness.js'

const SHIPPED = new URL('../../policies/', import.meta.url).pathname

/** Deterministic synthetic traces shaped like the development corpus: reads with ~1.5 KB outputs, then writes. */
function syntheticTraces(count: number): Trace[] {
  const tools = [
    {
      name: 'read_inbox',
      description: 'Read the inbox',
      inputSchema: { type: 'object', properties: { folder: { type: 'string' } } },
      annotations: { readOnlyHint: true },
    },
    {
      name: 'send_email',
      description: 'Send an e-mail',
      inputSchema: {
        type: 'object',
        properties: {
          recipients: { type: 'array', items: { type: 'string' } },
          subject: { type: 'string' },
          body: { type: 'string' },
        },
        required: ['recipients', 'subject', 'body'],
      },
      annotations: { readOnlyHint: false },
    },
  ]
  const output = (i: number) =>
    Array.from(
      { length: 12 },
      (_, j) =>
        `- id_: '${i * 100 + j}'\n  sender: colleague${j}@corp.example\n  subject: Weekly status ${j}\n  body: Numbers attached, see the shared folder for details.\n`,
    ).join('')
  return Array.from({ length: count }, (_, i) => ({
    id: `synthetic-${i}`,
    agent: { name: 'mail-assistant' },
    intent: { prompt: `Summarise my inbox and send the summary to boss${i}@corp.example` },
    tools,
    events: [
      { kind: 'tool.call', call: 'c0', tool: 'read_inbox', args: { folder: 'inbox' } },
      { kind: 'tool.result', call: 'c0', output: output(i) },
      { kind: 'tool.call', call: 'c1', tool: 'read_inbox', args: { folder: 'archive' } },
      { kind: 'tool.result', call: 'c1', output: output(i + 1) },
      {
        kind: 'tool.call',
        call: 'c2',
        tool: 'send_email',
        args: { recipients: [`boss${i}@corp.example`], subject: 'Summary', body: 'All good.' },
      },
      { kind: 'tool.result', call: 'c2', output: 'sent' },
    ],
  }))
}

/** `warden replay`'s steady-state speed: behaviour state, detectors and the policy decision per call, one core. */
export async function benchReplay(): Promise<Suite> {
  const replayer = new Replayer(readPolicyDirectory(SHIPPED))
  const traces = syntheticTraces(2000)
  for (const trace of traces.slice(0, 200)) replayer.replay(trace) // warm-up: engines built, JIT warm
  const start = process.hrtime.bigint()
  let calls = 0
  for (const trace of traces) calls += replayer.replay(trace).length
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const perSecond = calls / seconds
  return {
    rows: [
      {
        figure: {
          name: 'replay (per call)',
          ops: calls,
          medianUs: (seconds * 1e6) / calls,
          p99Us: Number.NaN,
          perSecond,
        },
      },
    ],
    figures: {
      replay_calls_per_s: Math.round(perSecond),
      replay_us_per_call: round((seconds * 1e6) / calls),
    },
  }
}
