import { describe, expect, it } from 'vitest'
import { canonicalJson, redact } from '../../src/chain/index.js'
import { redactToText } from '../../src/chain/redact.js'

/** The definition, written plainly: sorted members by UTF-16 code units, `undefined` members dropped. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((item) => reference(item ?? null)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${reference(member)}`).join(',')}}`
}

/** A deterministic pseudo-random value of nested objects, arrays and scalars. */
function randomValue(seed: { n: number }, depth: number): unknown {
  const next = () => {
    seed.n = (seed.n * 1_103_515_245 + 12_345) % 2 ** 31
    return seed.n
  }
  const keys = ['a', 'B', 'é', 'z', '€', '😀', 'a b', '', 'call', 'args', '10', '9', 'ab', 'aa']
  const kind = next() % (depth > 0 ? 7 : 5)
  if (kind === 0) return null
  if (kind === 1) return next() % 2 === 0
  if (kind === 2) return (next() % 20_000) / 7 - 1000
  if (kind === 3) return `s${next() % 100}"\\\n\u2028é`
  if (kind === 4) return undefined
  if (kind === 5) return Array.from({ length: next() % 4 }, () => randomValue(seed, depth - 1))
  const object: Record<string, unknown> = {}
  for (let i = next() % 6; i > 0; i--)
    object[keys[next() % keys.length] as string] = randomValue(seed, depth - 1)
  return object
}

describe('canonical JSON (RFC 8785 for the values Warden stores)', () => {
  it('orders members by UTF-16 code units and drops undefined ones', () => {
    expect(
      canonicalJson({ b: 1, a: [undefined, { d: undefined, c: 'x' }], é: true, '€': null, '😀': 0, Z: 2 }),
    ).toBe('{"Z":2,"a":[null,{"c":"x"}],"b":1,"é":true,"€":null,"😀":0}')
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError)
  })

  it('agrees with the plain definition on 2,000 random values', () => {
    const seed = { n: 42 }
    for (let i = 0; i < 2_000; i++) {
      const value = randomValue(seed, 4)
      expect(canonicalJson(value)).toBe(reference(value))
    }
  })
})

describe('redaction pointers', () => {
  it('names each redacted member by its JSON pointer, escaping `~` and `/`', () => {
    const { body, redacted } = redact({
      'a/b': { password: 'p', list: ['ok', 'Bearer abcdefghijklmnopqrstuvwx'] },
      'x~y': { apiKey: 'k', note: 'plain' },
      token: null,
    })
    expect(redacted.sort()).toEqual(['/body/a~1b/list/1', '/body/a~1b/password', '/body/x~0y/apiKey'])
    expect(body).toEqual({
      'a/b': { password: '[redacted]', list: ['ok', '[redacted]'] },
      'x~y': { apiKey: '[redacted]', note: 'plain' },
      token: null,
    })
  })
})

describe('redaction and canonical text in one walk (what a chain record stores)', () => {
  it('writes the canonical JSON of the redacted body, on 2,000 random values with credentials among them', () => {
    const seed = { n: 7 }
    const secrets = ['eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl', 'AKIAABCDEFGHIJKLMNOP']
    for (let i = 0; i < 2_000; i++) {
      const value = randomValue(seed, 4)
      const body: Record<string, unknown> = { value, password: i % 3 === 0 ? 'p' : undefined }
      if (i % 5 === 0) body.note = secrets[i % 2]
      const { body: clean, redacted, text } = redactToText(body)
      expect(text).toBe(reference(clean))
      expect(text).toBe(canonicalJson(redact(body).body))
      expect(redacted.includes('/body/password')).toBe(i % 3 === 0)
      expect(redacted.includes('/body/note')).toBe(i % 5 === 0)
    }
  })

  it('leaves the body given as it was, sharing only what it did not change', () => {
    const args = { q: 'invoices', page: { n: 2 } }
    const given = { call: 'c1', args, auth: { token: 'abc', user: 'ann' } }
    const { body, redacted, text } = redactToText(given)
    expect(redacted).toEqual(['/body/auth/token'])
    expect(given.auth.token).toBe('abc')
    expect(body.args).toBe(args)
    expect(body.auth).toEqual({ token: '[redacted]', user: 'ann' })
    expect(text).toBe(
      '{"args":{"page":{"n":2},"q":"invoices"},"auth":{"token":"[redacted]","user":"ann"},"call":"c1"}',
    )
  })

  it('lists redacted pointers in the order the body reads, not in key order', () => {
    const { redacted } = redactToText({ z: { secret: 's' }, a: { password: 'p' } })
    expect(redacted).toEqual(['/body/z/secret', '/body/a/password'])
  })

  it('stores a non-plain object as its members and refuses a non-finite number', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const { body, text } = redactToText({ at: new Point(1, 2) })
    expect(Object.getPrototypeOf(body.at)).toBe(Object.prototype)
    expect(text).toBe('{"at":{"x":1,"y":2}}')
    expect(() => redactToText({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError)
  })
})
