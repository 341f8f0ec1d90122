export { Gateway, MAX_SESSIONS_PER_INSTANCE, RPC, SESSION_IDLE_MS } from './gateway.js'
export { errorResponse, JSONRPC } from './json-rpc.js'
export { Upstream } from './upstream.js'
