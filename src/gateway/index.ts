export { Gateway, RPC } from './gateway.js'
export { Upstream } from './upstream.js'
