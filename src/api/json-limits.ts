import type { MiddlewareHandler } from 'hono'
import type { Config } from '../config/index.js'
import { WardenError } from '../kernel/index.js'

/** Structural limits on a JSON body, checked before anything parses it (`server.jsonLimits`). */
export type JsonLimits = Config['server']['jsonLimits']

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/**
 * Why `bytes` (JSON text) exceeds `limits`, or undefined. One linear pass over the bytes that builds nothing: a
 * body inside the size cap can still hold 10⁶ keys or nest 10⁵ deep, and what parses, validates, digests and
 * converts it afterwards costs per member (GHSA-46jr-4wx8-v453). Malformed JSON is left to the parser.
 */
export function exceedsJsonLimits(bytes: Uint8Array, limits: JsonLimits): string | undefined {
  // Per open container: its kind and its members so far (0 while empty).
  const objects: boolean[] = []
  const members: number[] = []
  let total = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
      continue
    }
    if (isSpace(byte) || byte === COLON) continue
    const depth = members.length
    if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      objects.pop()
      members.pop()
      continue
    }
    if (byte === COMMA) {
      if (depth === 0) continue
      const count = (members[depth - 1] as number) + 1
      members[depth - 1] = count
      total++
      if (objects[depth - 1] ? count > limits.keys : count > limits.elements) {
        return objects[depth - 1]
          ? `an object in the JSON body has more than ${limits.keys} keys`
          : `an array in the JSON body has more than ${limits.elements} elements`
      }
      if (total > limits.members) return `the JSON body has more than ${limits.members} members`
      continue
    }
    // The first token inside a container makes it non-empty; later members are counted by their commas.
    if (depth > 0 && members[depth - 1] === 0) {
      members[depth - 1] = 1
      total++
    }
    if (byte === QUOTE) inString = true
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth + 1 > limits.depth) return `the JSON body nests deeper than ${limits.depth} levels`
      objects.push(byte === OPEN_OBJECT)
      members.push(0)
    }
  }
  return undefined
}

/**
 * Refuses, with 400 before any handler parses it, a request body that is JSON (whatever its declared type:
 * `c.req.json()` does not look) and exceeds the structural limits. Runs after the size cap. Where `isJsonRpc`
 * says the route speaks JSON-RPC (the gateway), the 400 carries a JSON-RPC error (−32600), as the gateway's own
 * answers do.
 */
export function limitJson(
  limits: JsonLimits,
  isJsonRpc: (path: string) => boolean = () => false,
): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw
    if (!raw.body) return next()
    const bytes = new Uint8Array(await raw.arrayBuffer())
    let first = 0
    while (first < bytes.length && isSpace(bytes[first] as number)) first++
    const opening = bytes[first]
    if (opening === OPEN_OBJECT || opening === OPEN_ARRAY) {
      const problem = exceedsJsonLimits(bytes, limits)
      if (problem && isJsonRpc(c.req.path))
        return c.json(
          { jsonrpc: '2.0', id: null, error: { code: -32600, message: `invalid request: ${problem}` } },
          400,
        )
      if (problem) throw new WardenError('BAD_REQUEST', problem)
    }
    c.req.raw = new Request(raw, { body: bytes })
    return next()
  }
}
