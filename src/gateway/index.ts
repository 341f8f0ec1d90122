export { Gateway, MAX_SESSIONS_PER_INSTANCE, RPC, SESSION_IDLE_MS } from './gateway.js'
export { Upstream } from './upstream.js'
