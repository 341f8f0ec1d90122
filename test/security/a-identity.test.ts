import { createHmac, createPublicKey } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeProtectedHeader, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  attestFederated,
  b64,
  expect401Challenge,
  type Federation,
  federation,
  parts,
  signingKey,
} from '../fakes/attack.js'
import { FakeClock } from '../fakes/clock.js'
import {
  type Attested,
  attest,
  attestWithJoinToken,
  codeOf,
  joinToken,
  registerAgent,
} from '../fakes/identity.js'
import { InstanceKey } from '../fakes/instance-key.js'
import { exchange, type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

// Section A of the attack catalogue (../shared/research/attacks.md): identity, attestation, JWT. Each probe is
// sent over HTTP to the in-process app, with its positive control first and again last.

const FED_ISSUER = 'https://test.example'

async function opened(res: Response): Promise<OpenedTask> {
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as OpenedTask
}

describe('section A: identity, attestation, JWT', () => {
  let t: TestWarden
  let fed: Federation
  let owner: Attested
  let task: OpenedTask

  /** Presents `token` for `task` at an authenticated endpoint, with a fresh proof whose `ath` is of that token. */
  const present = async (token: string, key = owner.key) => {
    const url = `${BASE}/v1/tasks/${task.taskId}/token`
    return t.request('POST', `/v1/tasks/${task.taskId}/token`, {
      headers: { authorization: `DPoP ${token}`, dpop: await key.proof('POST', url, { accessToken: token }) },
      admin: false,
    })
  }
  const baseline = async () => expect((await present(task.token)).status).toBe(201)

  beforeAll(async () => {
    const clock = new FakeClock()
    fed = await federation(() => clock.now())
    t = await startTestWarden(
      {
        identity: {
          federation: [
            {
              trustDomain: 'test.example',
              bundle: { file: fed.bundleFile },
              audience: 'warden-test',
              issuer: FED_ISSUER,
              rules: [{ id: 'spiffe://test.example/workload/*', agent: 'fed-agent' }],
            },
          ],
        },
      },
      { clock },
    )
    await registerAgent(t, 'owner', {
      tier: 'standard',
      entitlements: ['read_file'],
      delegatesTo: ['helper'],
    })
    await registerAgent(t, 'helper', { tier: 'standard', entitlements: ['read_file'] })
    await registerAgent(t, 'fed-agent', { tier: 'standard', entitlements: ['read_file'] })
    owner = await attestWithJoinToken(t, 'owner')
    task = await opened(await openTask(t, owner, { purpose: 'catalogue', tools: ['read_file'] }))
  })
  afterAll(() => t.dispose())

  /** A federated JWT-SVID with `iss` set, as the trust domain issues them. */
  const fedSvid = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    fed.svid('spiffe://test.example/workload/probe', { iss: FED_ISSUER, ...claims }, header)
  const fedAttest = async (svid: string) =>
    attestFederated(t, await InstanceKey.generate({ clock: t.clock }), svid)
  const fedBaseline = async () => expect((await fedAttest(await fedSvid())).status).toBe(201)

  describe('ID-01 unsigned token (alg none)', () => {
    it('refuses every none variant with a challenge, at the resource and as a subject token', async () => {
      await baseline()
      const { header, payload } = parts(task.token)
      const body = `${b64(payload)}`
      const forged: string[] = []
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const h = b64({ ...header, alg, typ: 'at+jwt' })
        forged.push(`${h}.${body}.`, `${h}.${body}`)
      }
      for (const token of forged) await expect401Challenge(await present(token), token.slice(0, 20))
      const helper = await attestWithJoinToken(t, 'helper')
      for (const token of forged.slice(0, 2)) {
        const res = await exchange(t, token, helper)
        expect(res.status).toBe(400)
        expect(((await res.json()) as { error: string }).error).toBe('invalid_request')
      }
      // Audited: each refusal left an `auth.fail` record.
      expect((await t.warden.chain.query({ kind: 'auth.fail', limit: 1000 })).length).toBeGreaterThan(0)
      await baseline()
    })
  })

  describe('ID-02 algorithm confusion (asymmetric key as HMAC secret)', () => {
    it('refuses HS256/384/512 under every rendering of every JWKS key', async () => {
      await baseline()
      const jwks = (await (await t.request('GET', '/.well-known/jwks.json')).json()) as { keys: JWK[] }
      const { header, payload } = parts(task.token)
      for (const jwk of jwks.keys) {
        const pem = createPublicKey({ key: jwk as never, format: 'jwk' })
          .export({ format: 'pem', type: 'spki' })
          .toString()
        const raw = Buffer.concat([
          Buffer.from([4]),
          Buffer.from(jwk.x ?? '', 'base64url'),
          Buffer.from(jwk.y ?? '', 'base64url'),
        ])
        const secrets = [pem, JSON.stringify(jwk), raw, ` ${pem}`]
        for (const [alg, hash] of [
          ['HS256', 'sha256'],
          ['HS384', 'sha384'],
          ['HS512', 'sha512'],
        ] as const) {
          for (const secret of secrets) {
            const input = `${b64({ ...header, alg })}.${b64(payload)}`
            const sig = createHmac(hash, secret).update(input).digest('base64url')
            await expect401Challenge(await present(`${input}.${sig}`), alg)
          }
        }
      }
      await baseline()
    })
  })

  describe('ID-03 key-selection header abuse', () => {
    let evil: Server
    let hits = 0
    let evilUrl: string
    beforeAll(async () => {
      evil = createServer((_req, res) => {
        hits += 1
        res.end('{"keys":[]}')
      })
      await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
      evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
    })
    afterAll(() => evil.close())

    it('never trusts jwk, jku, x5u, x5c or a crafted kid, and fetches nothing', async () => {
      await baseline()
      const attacker = await signingKey('k-att')
      const { header, payload } = parts(task.token)
      const longKid = 'k'.repeat(10_240)
      const variants: Array<Record<string, unknown>> = [
        { jwk: attacker.jwk },
        { jku: `${evilUrl}/jwks.json` },
        { x5u: `${evilUrl}/cert.pem` },
        { x5c: [Buffer.from('self-signed').toString('base64')] },
        { kid: "' OR '1'='1" },
        { kid: longKid },
        { kid: 'unknown-kid' },
      ]
      for (const extra of variants) {
        const res = await present(await attacker.sign({ ...header, ...extra }, payload))
        await expect401Challenge(res, Object.keys(extra)[0])
        expect(await res.text()).not.toContain(longKid)
      }
      // kid path traversal with an HS256 signature under an empty key.
      const input = `${b64({ ...header, alg: 'HS256', kid: '../../../../dev/null' })}.${b64(payload)}`
      await expect401Challenge(
        await present(`${input}.${createHmac('sha256', '').update(input).digest('base64url')}`),
      )
      expect(hits).toBe(0)
      await baseline()
    })
  })

  describe('ID-04 crit and header extensions', () => {
    it('refuses unknown, empty, inherited and unencoded-payload crit on a federated JWT-SVID', async () => {
      await fedBaseline()
      for (const header of [
        { crit: ['x-unknown'], 'x-unknown': 1 },
        { crit: ['b64'], b64: false },
        { crit: [] },
        { crit: ['__proto__'] },
        { crit: ['constructor'] },
        { crit: ['toString'] },
      ]) {
        await expect401Challenge(await fedAttest(await fedSvid({}, header)), JSON.stringify(header))
      }
      await fedBaseline()
    })
  })

  describe('ID-05 duplicate JSON members', () => {
    it('refuses a repeated sub, alg, aud, scope or act', async () => {
      await fedBaseline()
      const now = Math.floor(t.clock.now() / 1000)
      const head = '{"alg":"ES256","kid":"kfed-1","typ":"JWT"}'
      const body = (extra: string) =>
        `{"iss":"${FED_ISSUER}","aud":"warden-test","iat":${now},"exp":${now + 300},"jti":"${Math.random()}",${extra}}`
      const probes: Array<[string, string]> = [
        [
          head,
          body('"sub":"spiffe://test.example/workload/low","sub":"spiffe://test.example/workload/admin"'),
        ],
        [
          '{"alg":"ES256","alg":"none","kid":"kfed-1","typ":"JWT"}',
          body('"sub":"spiffe://test.example/workload/a"'),
        ],
        [head, body('"sub":"spiffe://test.example/workload/a","aud":"other"')],
        [head, body('"sub":"spiffe://test.example/workload/a","scope":"a","scope":"b"')],
        [head, body('"sub":"spiffe://test.example/workload/a","act":{"sub":"x"},"act":{"sub":"y"}')],
      ]
      for (const [h, p] of probes) await expect401Challenge(await fedAttest(await fed.key.signRaw(h, p)), p)
      await fedBaseline()
    })
  })

  describe('ID-06 claim types and numeric edge cases', () => {
    it('refuses a token that never expires, lives too long, or starts in the future', async () => {
      await fedBaseline()
      const now = Math.floor(t.clock.now() / 1000)
      const head = '{"alg":"ES256","kid":"kfed-1","typ":"JWT"}'
      const raw = (claims: string) =>
        `{"iss":"${FED_ISSUER}","aud":"warden-test","jti":"${Math.random()}","sub":"spiffe://test.example/workload/a",${claims}}`
      const rawProbes = [
        `"iat":${now}`, // no exp
        `"iat":${now},"exp":"9999999999"`,
        `"iat":${now},"exp":1e400`,
        `"iat":${now},"exp":9007199254740993`,
        `"iat":${now},"exp":-1`,
        `"iat":${now},"nbf":${now + 600},"exp":${now + 900}`,
        `"iat":${now + 600},"exp":${now + 900}`,
        `"iat":${now},"exp":${now + 10 * 365 * 86_400}`,
      ]
      for (const claims of rawProbes)
        await expect401Challenge(await fedAttest(await fed.key.signRaw(head, raw(claims))), claims)
      for (const sub of [['spiffe://test.example/workload/a'], { id: 'x' }, 42])
        await expect401Challenge(await fedAttest(await fedSvid({ sub })), JSON.stringify(sub))
      await expect401Challenge(await fedAttest(await fedSvid({ aud: [] })), 'aud []')
      await fedBaseline()
    })
  })

  describe('ID-07 audience and trust-domain binding', () => {
    it('refuses no aud, another aud, several audiences, another trust domain and a wrong issuer', async () => {
      await fedBaseline()
      await expect401Challenge(await fedAttest(await fedSvid({ aud: undefined })), 'no aud')
      await expect401Challenge(await fedAttest(await fedSvid({ aud: 'another-service' })), 'other aud')
      await expect401Challenge(await fedAttest(await fedSvid({ aud: ['other', 'warden-test'] })), 'multi aud')
      await expect401Challenge(
        await fedAttest(await fed.svid('spiffe://prod.example/workload/probe', { iss: FED_ISSUER })),
        'prod.example signed by test.example',
      )
      await expect401Challenge(await fedAttest(await fedSvid({ iss: 'https://evil.example' })), 'wrong iss')
      await fedBaseline()
    })

    it('attests a federated JWT-SVID once: a replay is refused (a bearer token must not mint instances forever)', async () => {
      const svid = await fedSvid()
      expect((await fedAttest(svid)).status).toBe(201)
      const replay = await fedAttest(svid)
      await expect401Challenge(replay)
      expect(await codeOf(replay)).toBe('TOKEN_REPLAYED')
    })
  })

  describe('ID-08 token-type confusion', () => {
    it('tells SVIDs, proofs and task tokens apart', async () => {
      await baseline()
      await expect401Challenge(await present(owner.svid), 'SVID as access token')
      const proof = await owner.key.proof('POST', `${BASE}/v1/tasks/${task.taskId}/token`)
      await expect401Challenge(await present(proof), 'DPoP proof as access token')
      // A task token where an SVID is expected: as actor token, as renewal credential, as attestation evidence.
      const helper = await attestWithJoinToken(t, 'helper')
      const asActor = await exchange(t, task.token, { ...helper, svid: task.token })
      expect(asActor.status).toBe(401)
      expect(((await asActor.json()) as { error: string }).error).toBe('invalid_client')
      const renew = await t.request('POST', '/v1/svid/renew', {
        headers: {
          authorization: `DPoP ${task.token}`,
          dpop: await owner.key.proof('POST', `${BASE}/v1/svid/renew`, { accessToken: task.token }),
        },
        admin: false,
      })
      await expect401Challenge(renew, 'task token as SVID')
      await expect401Challenge(await fedAttest(task.token), 'task token as federated SVID')
      await baseline()
    })
  })

  describe('ID-09 signature and serialization malleability', () => {
    it('refuses zero, r=s=n, DER, padded, JSON-serialised and mis-segmented signatures, and stays revoked by jti', async () => {
      const victim = await opened(await openTask(t, owner, { purpose: 'malleable', tools: ['read_file'] }))
      const presentFor = async (token: string) => {
        const url = `${BASE}/v1/tasks/${victim.taskId}/token`
        return t.request('POST', `/v1/tasks/${victim.taskId}/token`, {
          headers: {
            authorization: `DPoP ${token}`,
            dpop: await owner.key.proof('POST', url, { accessToken: token }),
          },
          admin: false,
        })
      }
      const [h, p, s] = victim.token.split('.') as [string, string, string]
      const n = Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551', 'hex')
      const sig = Buffer.from(s, 'base64url')
      const der = (r: Buffer, q: Buffer) => {
        const int = (v: Buffer) => (v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v)
        const body = Buffer.concat([
          Buffer.from([2, int(r).length]),
          int(r),
          Buffer.from([2, int(q).length]),
          int(q),
        ])
        return Buffer.concat([Buffer.from([0x30, body.length]), body])
      }
      const malformed = [
        `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`,
        `${h}.${p}.${Buffer.concat([n, n]).toString('base64url')}`,
        `${h}.${p}.${der(sig.subarray(0, 32), sig.subarray(32)).toString('base64url')}`,
        JSON.stringify({ protected: h, payload: p, signature: s }),
        `${h}.${p}.${s}.${s}`,
        `${h}.${p}.${s}.${s}.${s}.${s}`,
      ]
      for (const token of malformed) await expect401Challenge(await presentFor(token), token.slice(-12))
      const padded = [`${victim.token}!!!!`, `${victim.token}==`]
      for (const token of padded) await expect401Challenge(await presentFor(token), token.slice(-6))
      expect((await presentFor(victim.token)).status).toBe(201)
      // (f) revoked: the close is keyed by the task (and so every jti of it), not by the token's text.
      await t.request('POST', `/v1/tasks/${victim.taskId}/close`, { body: { reason: 'revoked' } })
      for (const token of [victim.token, ...padded]) await expect401Challenge(await presentFor(token))
    })
  })

  describe('ID-10 key rotation and revocation window', () => {
    it('rotates (prepare → activate), taints and revokes the old key: its tokens stop at once, also after a restart', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'warden-keys-'))
      const clock = new FakeClock()
      let w = await startTestWarden({}, { dataDir, clock })
      try {
        await registerAgent(w, 'rotating', { tier: 'standard' })
        const who = await attestWithJoinToken(w, 'rotating')
        const t1 = await opened(await openTask(w, who, { purpose: 'before rotation', tools: ['read_file'] }))
        const k1 = decodeProtectedHeader(t1.token).kid as string
        const use = async (server: TestWarden, opened: OpenedTask) => {
          const url = `${BASE}/v1/tasks/${opened.taskId}/token`
          return server.request('POST', `/v1/tasks/${opened.taskId}/token`, {
            headers: {
              authorization: `DPoP ${opened.token}`,
              dpop: await who.key.proof('POST', url, { accessToken: opened.token }),
            },
            admin: false,
          })
        }
        // The active key cannot be tainted or revoked: activate another one first.
        expect((await w.request('POST', `/v1/keys/${k1}/taint`)).status).toBe(409)
        expect((await w.request('POST', `/v1/keys/${k1}/revoke`)).status).toBe(409)
        const prepared = (await (await w.request('POST', '/v1/keys/prepare')).json()) as {
          kid: string
          state: string
        }
        expect(prepared.state).toBe('prepared')
        const jwksKids = async (server: TestWarden) =>
          (
            (await (await server.request('GET', '/.well-known/jwks.json')).json()) as { keys: JWK[] }
          ).keys.map((k) => k.kid)
        expect(await jwksKids(w)).toEqual(expect.arrayContaining([k1, prepared.kid]))
        // Still signed by K1 until activation.
        expect(decodeProtectedHeader((await opened(await use(w, t1))).token).kid).toBe(k1)
        expect((await w.request('POST', '/v1/keys/activate')).status).toBe(200)
        const t2 = await opened(await openTask(w, who, { purpose: 'after rotation', tools: ['read_file'] }))
        expect(decodeProtectedHeader(t2.token).kid).toBe(prepared.kid)
        expect((await w.request('POST', `/v1/keys/${k1}/revoke`)).status).toBe(409) // not tainted yet
        expect((await w.request('POST', `/v1/keys/${k1}/taint`)).status).toBe(200)
        expect((await use(w, t1)).status).toBe(201) // tainted: still verifies until revoked
        expect((await w.request('POST', `/v1/keys/${k1}/revoke`)).status).toBe(204)
        await expect401Challenge(await use(w, t1), 'revoked key')
        expect(await jwksKids(w)).not.toContain(k1)
        expect((await use(w, t2)).status).toBe(201)
        const steps = (await w.warden.chain.query({ limit: 1000 })).map((e) => e.kind)
        expect(steps).toEqual(
          expect.arrayContaining(['key.prepare', 'key.activate', 'key.taint', 'key.revoke']),
        )
        await w.warden.close()
        w = await startTestWarden({}, { dataDir, clock })
        await expect401Challenge(await use(w, t1), 'revoked key after restart')
        expect(await jwksKids(w)).not.toContain(k1)
      } finally {
        await w.dispose()
        rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })

  describe('ID-11 attestation replay and identity takeover', () => {
    it('refuses a reused or stale join token, a swapped identity, and an evicted instance re-attesting', async () => {
      const token = await joinToken(t, 'helper')
      const first = await attest(t, { method: 'join_token', token })
      expect(first.res.status).toBe(201)
      const body = (await first.res.json()) as { spiffeId: string; instanceId: string }
      expect(body.spiffeId).toMatch(/^spiffe:\/\/warden\.local\/agent\/helper\//)
      const again = await attest(t, { method: 'join_token', token })
      await expect401Challenge(again.res, 'reuse')
      expect(await codeOf(again.res)).toBe('JOIN_TOKEN_USED')
      const stale = await joinToken(t, 'helper')
      t.clock.advance('2h')
      const late = await attest(t, { method: 'join_token', token: stale })
      expect(await codeOf(late.res)).toBe('JOIN_TOKEN_EXPIRED')
      // The SPIFFE ID comes from the evidence only: a request naming another is refused outright.
      const swap = await t.request('POST', '/v1/attest', {
        body: {
          method: 'join_token',
          token: await joinToken(t, 'helper'),
          publicKey: first.key.publicJwk,
          spiffeId: 'spiffe://warden.local/agent/owner/x',
        },
        headers: { dpop: await first.key.proof('POST', `${BASE}/v1/attest`) },
        admin: false,
      })
      expect(swap.status).toBe(400)
      // Evicted: the quarantined instance's key cannot attest again, even with a new join token.
      await t.request('POST', `/v1/instances/${body.instanceId}/quarantine`, { body: { reason: 'evicted' } })
      const back = await attest(
        t,
        { method: 'join_token', token: await joinToken(t, 'helper') },
        { key: first.key },
      )
      expect(await codeOf(back.res)).toBe('INSTANCE_QUARANTINED')
      // Positive control: a fresh credential with a fresh key attests.
      expect(
        (await attest(t, { method: 'join_token', token: await joinToken(t, 'helper') })).res.status,
      ).toBe(201)
    })
  })
})
