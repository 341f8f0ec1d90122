export type { CatalogTool, Sensitivity, SyncResult, ToolDefinition } from './tool-catalog.js'
export { SENSITIVITIES, ToolCatalog, toolDigest, unstoredTool } from './tool-catalog.js'
