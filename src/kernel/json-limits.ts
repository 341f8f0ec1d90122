/** Structural limits on a JSON body (`server.jsonLimits`): nesting, keys per object, elements per array, members in all. */
export interface JsonLimits {
  depth: number
  keys: number
  elements: number
  members: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/**
 * Why `bytes` (JSON text) exceeds `limits`, or undefined. One linear pass over the bytes that builds nothing: a
 * body inside the size cap can still hold 10⁶ keys or nest 10⁵ deep, and what parses, validates, digests and
 * converts it afterwards costs per member (GHSA-46jr-4wx8-v453). Malformed JSON is left to the parser. The one
 * check of structure for every JSON body Warden reads: the API's middleware (`limitJson`) and the gateway's parser.
 */
export function exceedsJsonLimits(bytes: Uint8Array, limits: JsonLimits): string | undefined {
  // Only a body that opens an object or an array is JSON with structure to count (a form body is not scanned).
  let first = 0
  while (first < bytes.length && isJsonSpace(bytes[first] as number)) first++
  if (bytes[first] !== OPEN_OBJECT && bytes[first] !== OPEN_ARRAY) return undefined
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
    if (isJsonSpace(byte) || byte === COLON) continue
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
