import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { attest, attestWithJoinToken, codeOf, joinToken, registerAgent, renew } from '../fakes/identity.js'
import { InstanceKey } from '../fakes/instance-key.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

async function jwksOf(t: TestWarden) {
  const res = await t.request('GET', '/.well-known/jwks.json', { admin: false })
  expect(res.status).toBe(200)
  return createLocalJWKSet((await res.json()) as { keys: [] })
}

describe('attestation by join token', () => {
  let t: TestWarden
  beforeEach(async () => {
    t = await startTestWarden()
    expect((await registerAgent(t, 'billing')).status).toBe(201)
  })
  afterEach(() => t.dispose())

  it('gives an instance a SPIFFE ID and an SVID that verifies against the JWKS endpoint alone', async () => {
    const a = await attestWithJoinToken(t, 'billing')
    expect(a.spiffeId).toMatch(/^spiffe:\/\/warden\.local\/agent\/billing\/[a-z2-7]{16}$/)
    const { payload, protectedHeader } = await jwtVerify(a.svid, await jwksOf(t), {
      audience: 'warden',
      issuer: 'spiffe://warden.local',
      currentDate: new Date(t.clock.now()),
    })
    expect(payload.sub).toBe(a.spiffeId)
    expect(protectedHeader.alg).toBe('ES256')
    expect((payload.cnf as { jkt: string }).jkt).toBeTypeOf('string')
    expect((payload.exp as number) - (payload.iat as number)).toBe(300)
  })

  it('tells two instances of one agent apart and quarantines one without touching the other', async () => {
    const first = await attestWithJoinToken(t, 'billing')
    const second = await attestWithJoinToken(t, 'billing')
    expect(first.spiffeId).not.toBe(second.spiffeId)

    const q = await t.request('POST', `/v1/instances/${first.instanceId}/quarantine`, {
      body: { reason: 'test' },
    })
    expect(q.status).toBe(200)
    expect(await codeOf(await renew(t, first))).toBe('INSTANCE_QUARANTINED')
    expect((await renew(t, second)).status).toBe(201)

    // The quarantined key cannot come back as a new instance.
    const { res } = await attest(
      t,
      { method: 'join_token', token: await joinToken(t, 'billing') },
      { key: first.key },
    )
    expect(await codeOf(res)).toBe('INSTANCE_QUARANTINED')
  })

  it('refuses a join token used twice, an expired one and an unknown one', async () => {
    const token = await joinToken(t, 'billing')
    expect((await attest(t, { method: 'join_token', token })).res.status).toBe(201)
    expect(await codeOf((await attest(t, { method: 'join_token', token })).res)).toBe('JOIN_TOKEN_USED')

    const late = await joinToken(t, 'billing')
    t.clock.advance('61m')
    expect(await codeOf((await attest(t, { method: 'join_token', token: late })).res)).toBe(
      'JOIN_TOKEN_EXPIRED',
    )
    expect(await codeOf((await attest(t, { method: 'join_token', token: 'wjt_nope' })).res)).toBe(
      'JOIN_TOKEN_INVALID',
    )
  })

  it('refuses a proof signed by a key other than the one registered, without burning the join token', async () => {
    const token = await joinToken(t, 'billing')
    const other = await InstanceKey.generate({ clock: t.clock })
    const { res } = await attest(t, { method: 'join_token', token }, { proofKey: other })
    expect(await codeOf(res)).toBe('PROOF_KEY_MISMATCH')
    expect((await attest(t, { method: 'join_token', token })).res.status).toBe(201)
  })

  it('refuses a replayed proof, a proof for another URL or method, a stale one and none at all', async () => {
    const key = await InstanceKey.generate({ clock: t.clock })
    const proof = await key.proof('POST', `${BASE}/v1/attest`)
    expect(
      (await attest(t, { method: 'join_token', token: await joinToken(t, 'billing') }, { key, proof })).res
        .status,
    ).toBe(201)
    const replay = await attest(
      t,
      { method: 'join_token', token: await joinToken(t, 'billing') },
      { key, proof },
    )
    expect(await codeOf(replay.res)).toBe('PROOF_REPLAYED')

    const now = Math.floor(t.clock.now() / 1000)
    const cases: Array<[string, (k: InstanceKey) => Promise<string>]> = [
      ['wrong url', (k) => k.proof('POST', `${BASE}/v1/elsewhere`)],
      ['wrong method', (k) => k.proof('GET', `${BASE}/v1/attest`)],
      ['stale', (k) => k.proof('POST', `${BASE}/v1/attest`, { iat: now - 600 })],
      ['future', (k) => k.proof('POST', `${BASE}/v1/attest`, { iat: now + 600 })],
      ['wrong typ', (k) => k.proof('POST', `${BASE}/v1/attest`, { typ: 'JWT' })],
      ['not a jwt', async () => 'not-a-proof'],
    ]
    for (const [note, makeProof] of cases) {
      const k = await InstanceKey.generate({ clock: t.clock })
      const { res } = await attest(
        t,
        { method: 'join_token', token: await joinToken(t, 'billing') },
        { key: k, proof: await makeProof(k) },
      )
      expect([note, await codeOf(res)]).toEqual([note, 'PROOF_INVALID'])
    }
    const fresh = await InstanceKey.generate({ clock: t.clock })
    const res = await t.request('POST', '/v1/attest', {
      body: { method: 'join_token', token: await joinToken(t, 'billing'), publicKey: fresh.publicJwk },
      admin: false,
    })
    expect(await codeOf(res)).toBe('PROOF_MISSING')
  })

  it('refuses a disabled agent, both at attestation and for SVIDs already issued', async () => {
    const a = await attestWithJoinToken(t, 'billing')
    const token = await joinToken(t, 'billing')
    expect((await t.request('POST', '/v1/agents/billing/disable')).status).toBe(200)
    expect(await codeOf((await attest(t, { method: 'join_token', token })).res)).toBe('AGENT_DISABLED')
    expect(await codeOf(await renew(t, a))).toBe('AGENT_DISABLED')
  })

  it('refuses a public key that already belongs to another instance', async () => {
    const a = await attestWithJoinToken(t, 'billing')
    const { res } = await attest(
      t,
      { method: 'join_token', token: await joinToken(t, 'billing') },
      { key: a.key },
    )
    expect(await codeOf(res)).toBe('KEY_IN_USE')
  })

  it('checks the code digest registered for the agent', async () => {
    await registerAgent(t, 'pinned', { codeDigest: `sha256:${'ab'.repeat(32)}` })
    const wrong = await attest(t, {
      method: 'join_token',
      token: await joinToken(t, 'pinned'),
      codeDigest: 'sha256:00',
    })
    expect(await codeOf(wrong.res)).toBe('ATTESTATION_DIGEST_MISMATCH')
    const right = await attest(t, {
      method: 'join_token',
      token: await joinToken(t, 'pinned'),
      codeDigest: `sha256:${'ab'.repeat(32)}`,
    })
    expect(right.res.status).toBe(201)
  })

  it('renews an SVID before expiry with a fresh proof, and refuses an expired one or a stolen one', async () => {
    const a = await attestWithJoinToken(t, 'billing')
    t.clock.advance('4m')
    const res = await renew(t, a)
    expect(res.status).toBe(201)
    const renewed = (await res.json()) as { svid: string; spiffeId: string }
    expect(renewed.spiffeId).toBe(a.spiffeId)

    // A thief with the SVID but not the key cannot renew it.
    const thief = { ...a, key: await InstanceKey.generate({ clock: t.clock }) }
    expect(await codeOf(await renew(t, thief, renewed.svid))).toBe('PROOF_KEY_MISMATCH')

    t.clock.advance('6m')
    expect(await codeOf(await renew(t, a, renewed.svid))).toBe('TOKEN_EXPIRED')
  })

  it('records every identity event durably', async () => {
    const a = await attestWithJoinToken(t, 'billing')
    await t.request('POST', `/v1/instances/${a.instanceId}/quarantine`, { body: { reason: 'leaked key' } })
    const res = await t.request('GET', '/v1/events?agent=spiffe://warden.local/agent/billing')
    const { events } = (await res.json()) as { events: Array<{ kind: string; seq: number }> }
    expect(events.map((e) => e.kind)).toEqual([
      'agent.register',
      'join_token.create',
      'instance.attest',
      'svid.issue',
      'instance.quarantine',
    ])
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((x, y) => x - y))
  })
})

describe('signing key rotation', () => {
  it('keeps verifying tokens of the old key until they expire, signs new ones with the new key, and survives restart', async () => {
    const t = await startTestWarden({ identity: { keyRotation: '1h' } })
    try {
      await registerAgent(t, 'billing')
      const a = await attestWithJoinToken(t, 'billing')
      const oldKid = decodeProtectedHeader(a.svid).kid
      t.clock.advance('59m')
      const b = await attestWithJoinToken(t, 'billing')
      expect(decodeProtectedHeader(b.svid).kid).toBe(oldKid)

      t.clock.advance('2m') // past the rotation: the next signature uses a new key
      const c = await attestWithJoinToken(t, 'billing')
      const newKid = decodeProtectedHeader(c.svid).kid
      expect(newKid).not.toBe(oldKid)
      // b was signed by the old key 2 minutes ago and has not expired: it still verifies and renews.
      const jwks = await jwksOf(t)
      await expect(
        jwtVerify(b.svid, jwks, { audience: 'warden', currentDate: new Date(t.clock.now()) }),
      ).resolves.toBeDefined()
      expect((await renew(t, b)).status).toBe(201)

      const kids = async () =>
        (
          (await (await t.request('GET', '/.well-known/jwks.json')).json()) as {
            keys: Array<{ kid: string }>
          }
        ).keys.map((k) => k.kid)
      expect(await kids()).toEqual([oldKid, newKid])

      // Restart on the same data directory: the schedule and keys carry over.
      await t.warden.close()
      const again = await startTestWarden(
        { identity: { keyRotation: '1h' } },
        { clock: t.clock, dataDir: t.dataDir },
      )
      try {
        const d = await attestWithJoinToken(again, 'billing')
        expect(decodeProtectedHeader(d.svid).kid).toBe(newKid)
        // Long after every old-key token has expired, the old key is gone from the JWKS.
        again.clock.advance('2h')
        const after = (await (await again.request('GET', '/.well-known/jwks.json')).json()) as {
          keys: Array<{ kid: string }>
        }
        expect(after.keys.map((k) => k.kid)).not.toContain(oldKid)
      } finally {
        await again.dispose()
      }
    } finally {
      await t.dispose()
    }
  })

  it('writes key files with mode 0600', async () => {
    const { statSync } = await import('node:fs')
    const t = await startTestWarden()
    try {
      const mode = statSync(`${t.dataDir}/keys/signing-keys.json`).mode & 0o777
      expect(mode).toBe(0o600)
    } finally {
      await t.dispose()
    }
  })
})
