import type { ToolDefinition } from '../../src/catalog/index.js'

/** A tool definition as a server lists it: name, description, an object schema of `properties`, annotations if any. */
export const tool = (
  name: string,
  description: string,
  properties: Record<string, unknown>,
  annotations?: ToolDefinition['annotations'],
): ToolDefinition => ({
  name,
  description,
  inputSchema: { type: 'object', properties },
  ...(annotations ? { annotations } : {}),
})

/** What the detectors read of a principal's request: its text, lower-cased for matching, and whether it designates. */
export const reader = (request: string, designated = false) => ({
  request: request.toLowerCase(),
  designated,
  text: request,
})
