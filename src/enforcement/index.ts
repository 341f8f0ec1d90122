export type { Decision, ToolRequest } from './pipeline.js'
export { delegationPath, Pipeline } from './pipeline.js'
