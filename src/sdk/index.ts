export { fetchWithOwnSignals } from './fetch.js'
export type { AgentCredential, TaskHandle } from './warden-agent.js'
export { WardenAgent, WardenApiError } from './warden-agent.js'
