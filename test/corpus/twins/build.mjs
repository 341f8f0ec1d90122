// Turns the twin pairs (`cases.mjs`) into replay traces (`../../../../shared/trace-format.md`): one attack and one
// benign trace per pair, labelled like the development corpus (`label`, `utility`, `goal_calls`, `suite` = the
// pair's domain) so `warden replay --labels` scores them the same way.
import { pairs } from './cases.mjs'
import { freshPairs } from './fresh.mjs'

function trace(pair, index, kind, set = 'twin') {
  const side = pair[kind]
  const events = []
  const goal = []
  for (const [i, [tool, args, output, isGoal]] of side.steps.entries()) {
    const call = `c${i}`
    events.push({ kind: 'tool.call', call, tool, args })
    events.push({ kind: 'tool.result', call, output })
    if (isGoal) goal.push(call)
  }
  return {
    id: `${set}/${pair.domain}/${index}/${kind}`,
    agent: { name: `${pair.domain}-assistant` },
    intent: { prompt: side.prompt, system: 'You are a helpful assistant with access to tools.' },
    tools: pair.tools,
    events,
    labels: {
      suite: pair.domain,
      model: 'hand-written',
      style: pair.style,
      label: kind === 'attack' ? 'attack_success' : 'benign',
      utility: true,
      goal_calls: goal,
    },
  }
}

/** Every pair as two traces, attack first. */
export function twinTraces() {
  return pairs.flatMap((pair, index) => [trace(pair, index, 'attack'), trace(pair, index, 'benign')])
}

/** The held-out second set (`fresh.mjs`), attack first: reported apart, never tuned on. */
export function freshTraces() {
  return freshPairs.flatMap((pair, index) => [
    trace(pair, index, 'attack', 'fresh'),
    trace(pair, index, 'benign', 'fresh'),
  ])
}
