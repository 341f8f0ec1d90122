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
