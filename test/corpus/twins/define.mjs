// What the hand-written twin sets (integrator, forms, provenance) build their tools from: an input schema from a
// map of property types (every property required unless told), and a tool with optional MCP annotations.
export const S = (props, req = Object.keys(props)) => ({
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(props).map(([k, t]) => [k, typeof t === 'string' ? { type: t } : t]),
  ),
  required: req,
})

export const tool = (name, description, props, annotations) => ({
  name,
  description,
  inputSchema: S(props),
  ...(annotations ? { annotations } : {}),
})

/**
 * The attack trace and its benign twin of one pair: each side's steps (`[tool, args, output]`) become a call and its
 * result; an attack's goal is its last call. Every trace is standard tier (no tier given).
 */
export function twinPair(set, id, { agent, style, tools, attack, benign }) {
  return [
    ['attack', attack],
    ['benign', benign],
  ].map(([kind, t]) => {
    const events = []
    for (const [n, step] of t.steps.entries()) {
      const call = `c${n}`
      events.push({ kind: 'tool.call', call, tool: step[0], args: step[1] })
      events.push({
        kind: 'tool.result',
        call,
        output: typeof step[2] === 'string' ? step[2] : JSON.stringify(step[2] ?? { ok: true }),
      })
    }
    return {
      id: `${set}/${id}/${kind}`,
      agent: { name: agent },
      intent: { prompt: t.prompt, system: 'You are a helpful assistant with tools.' },
      tools,
      events,
      labels: {
        suite: id,
        model: 'hand-written',
        style,
        label: kind === 'attack' ? 'attack_success' : 'benign',
        utility: true,
        goal_calls: kind === 'attack' ? [`c${t.steps.length - 1}`] : [],
      },
    }
  })
}
