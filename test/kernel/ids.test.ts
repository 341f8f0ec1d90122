import { describe, expect, it } from 'vitest'
import { randomIds } from '../../src/kernel/index.js'

describe('identifiers', () => {
  it('are 80-bit lowercase base32 and never repeat, across many refills of the pool', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 5_000; i++) {
      const id = randomIds.id()
      expect(id).toMatch(/^[a-z2-7]{16}$/)
      seen.add(id)
    }
    expect(seen.size).toBe(5_000)
  })

  it('draws secrets of the requested size, a fresh one each time', () => {
    const secret = randomIds.secret(32)
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32)
    expect(randomIds.secret(32)).not.toBe(secret)
  })
})
