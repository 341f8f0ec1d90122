import { randomBytes, randomFillSync } from 'node:crypto'

/** The source of identifiers and secrets; injected so tests can make them predictable. */
export interface IdSource {
  /** A unique, URL- and SPIFFE-path-safe identifier (lowercase base32, 80 bits). */
  id(): string
  /** A secret of `bytes` random bytes, base64url-encoded. */
  secret(bytes?: number): string
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/**
 * CSPRNG bytes drawn from a pool filled 4 KB at a time, each byte handed out once (as Node's `randomUUID` does):
 * a `randomBytes` call per identifier costs more than the rest of building one, and a decision needs four.
 */
const pool = Buffer.alloc(4096)
let offset = pool.length

function pooledBytes(size: number): Uint8Array {
  if (offset + size > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = pool.subarray(offset, offset + size)
  offset += size
  return bytes
}

/** Identifiers and secrets from the operating system's CSPRNG. */
export const randomIds: IdSource = {
  id: () => base32(pooledBytes(10)),
  secret: (bytes = 32) => randomBytes(bytes).toString('base64url'),
}
