import { randomBytes } from 'node:crypto'
import { decodeProtectedHeader } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyEncryptionKey, SharedKeys } from '../../src/cluster/index.js'
import { KeyRing } from '../../src/identity/index.js'
import { silentLogger, systemClock } from '../../src/kernel/index.js'
import { migrate, type Store } from '../../src/store/index.js'
import { FakeClock } from '../fakes/clock.js'
import { openPostgresTestStore } from '../fakes/postgres.js'

describe('the key-encryption key', () => {
  const kek = KeyEncryptionKey.of(randomBytes(32))

  it('seals with AES key wrap and AES-GCM, and opens what it sealed under the same name', async () => {
    const sealed = await kek.seal('fingerprint', '{"key":"abc"}')
    expect(decodeProtectedHeader(sealed)).toMatchObject({ alg: 'A256KW', enc: 'A256GCM', kid: kek.kid })
    expect(sealed).not.toContain('abc')
    expect(await kek.open('fingerprint', sealed)).toEqual({ plaintext: '{"key":"abc"}', stale: false })
  })

  it('refuses a value sealed by another KEK, tampered with, or moved to another name', async () => {
    const sealed = await kek.seal('fingerprint', '{"key":"abc"}')
    const other = KeyEncryptionKey.of(randomBytes(32))
    await expect(other.open('fingerprint', sealed)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    const parts = sealed.split('.')
    const cipher = parts[3] as string
    parts[3] = `${cipher[0] === 'A' ? 'B' : 'A'}${cipher.slice(1)}`
    await expect(kek.open('fingerprint', parts.join('.'))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    })
    await expect(kek.open('secrets', sealed)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
  })

  it('refuses a key that is not 32 bytes, and a start with no KEK at all', () => {
    expect(() => KeyEncryptionKey.from({ value: randomBytes(16).toString('base64url') })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(() => KeyEncryptionKey.from({})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    expect(KeyEncryptionKey.from({ value: randomBytes(32).toString('hex') }).kid).toMatch(/^kek-/)
  })
})

describe('shared keys in PostgreSQL', () => {
  let store: Store
  let dispose: () => Promise<void>
  beforeEach(async () => {
    ;({ store, dispose } = await openPostgresTestStore())
    await migrate(store, 0)
  })
  afterEach(() => dispose())

  it('makes a key once for every node that asks at the same time', async () => {
    const kek = KeyEncryptionKey.of(randomBytes(32))
    const nodes = [1, 2, 3].map(() => new SharedKeys(store, kek, systemClock))
    const made = await Promise.all(
      nodes.map((keys, i) => keys.getOrCreate('fingerprint', async () => ({ key: `node-${i}` }))),
    )
    expect(new Set(made.map((m) => m.value.key)).size).toBe(1)
    expect(made.filter((m) => m.created)).toHaveLength(1)
  })

  it('rotates the KEK: a node given the new one and the previous opens old values and seals them again', async () => {
    const old = randomBytes(32)
    const fresh = randomBytes(32)
    await new SharedKeys(store, KeyEncryptionKey.of(old), systemClock).save('secrets', { key: 's3cret' })
    // A node with only the new KEK cannot open it (the rotation needs the previous one given too).
    await expect(
      new SharedKeys(store, KeyEncryptionKey.of(fresh), systemClock).load('secrets'),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    const rotating = new SharedKeys(store, KeyEncryptionKey.of(fresh, old), systemClock)
    expect(await rotating.load('secrets')).toEqual({ key: 's3cret' })
    // Sealed again under the new KEK: the old one no longer opens it, the new one alone does.
    expect(await new SharedKeys(store, KeyEncryptionKey.of(fresh), systemClock).load('secrets')).toEqual({
      key: 's3cret',
    })
    await expect(
      new SharedKeys(store, KeyEncryptionKey.of(old), systemClock).load('secrets'),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
  })

  it('rotates a signing key once for the deployment when it falls due on every node at once', async () => {
    const kek = KeyEncryptionKey.of(randomBytes(32))
    const clock = new FakeClock()
    const options = { alg: 'ES256' as const, rotateEvery: 3_600_000, maxTokenTtl: 600_000 }
    const open = () =>
      KeyRing.open(new SharedKeys(store, kek, clock).signingKeyStore(), clock, silentLogger, options)
    const rings = await Promise.all([open(), open(), open()])
    const first = await Promise.all(rings.map(async (ring) => (await ring.signingKey()).kid))
    expect(new Set(first).size).toBe(1)
    clock.advance('61m')
    const second = await Promise.all(rings.map(async (ring) => (await ring.signingKey()).kid))
    expect(new Set(second).size).toBe(1)
    expect(second[0]).not.toBe(first[0])
    // Every node verifies both: the retired key until its last token expires, and the new one.
    await Promise.all(rings.map((ring) => ring.reload()))
    const jwks = rings.map((ring) =>
      ring
        .publicJwks()
        .keys.map((key) => key.kid)
        .sort(),
    )
    expect(jwks[1]).toEqual(jwks[0])
    expect(jwks[0]).toEqual([first[0], second[0]].sort())
  })
})
