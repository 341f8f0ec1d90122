export { Gateway, RPC } from './gateway.js'
export { errorResponse, JSONRPC } from './json-rpc.js'
export { Upstream } from './upstream.js'
