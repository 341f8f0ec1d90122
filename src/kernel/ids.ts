import { randomBytes } from 'node:crypto'

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

/** Identifiers and secrets from the operating system's CSPRNG. */
export const randomIds: IdSource = {
  id: () => base32(randomBytes(10)),
  secret: (bytes = 32) => randomBytes(bytes).toString('base64url'),
}
