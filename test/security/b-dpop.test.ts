import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { calculateJwkThumbprint, decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { b64, expect401Challenge, proofClaims, rawProof } from '../fakes/attack.js'
import { FakeClock } from '../fakes/clock.js'
import { type Attested, attestWithJoinToken, registerAgent } from '../fakes/identity.js'
import { InstanceKey } from '../fakes/instance-key.js'
import { exchange, type OpenedTask, openTask, useToken } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

// Section B of the attack catalogue: DPoP (RFC 9449), probed at the MCP endpoint of a real gateway (`initialize`
// against a stdio filesystem server), each battery with its positive control before and after.

const MODULES = new URL('../../node_modules/@modelcontextprotocol/', import.meta.url).pathname
const MCP = `${BASE}/mcp/files`
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
})

async function opened(res: Response): Promise<OpenedTask> {
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as OpenedTask
}

describe('section B: DPoP', () => {
  let t: TestWarden
  let sandbox: string
  let who: Attested
  let task: OpenedTask

  /** POSTs `initialize` to the MCP endpoint with the given headers (and optional URL suffix). */
  const mcp = async (headers: Record<string, string>, path = '/mcp/files', body = INITIALIZE) => {
    const res = await t.app.request(`${BASE}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body,
    })
    return res
  }
  const ok = async (res: Response, label = '') => {
    expect(res.status, `${label} ${res.status === 200 ? '' : await res.clone().text()}`).toBe(200)
    await res.body?.cancel()
  }
  const proofFor = (token = task.token, options: Parameters<InstanceKey['proof']>[2] = {}) =>
    who.key.proof('POST', MCP, { accessToken: token, ...options })
  const baseline = async () =>
    ok(await mcp({ authorization: `DPoP ${task.token}`, dpop: await proofFor() }), 'baseline')

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-dpop-'))
    t = await startTestWarden(
      {
        upstreams: { files: { command: ['node', `${MODULES}server-filesystem/dist/index.js`, sandbox] } },
        tasks: { proofRequired: ['critical', 'high', 'standard'] },
      },
      { clock: new FakeClock() },
    )
    await registerAgent(t, 'caller', { tier: 'standard', entitlements: ['read_file'], delegatesTo: ['sub'] })
    await registerAgent(t, 'sub', { tier: 'standard', entitlements: ['read_file'] })
    await registerAgent(t, 'bearer', { tier: 'low', entitlements: ['read_file'] })
    who = await attestWithJoinToken(t, 'caller')
    task = await opened(await openTask(t, who, { purpose: 'dpop probes', tools: ['read_file'] }))
    await t.warden.gateway.start()
  })
  afterAll(async () => {
    await t.dispose()
    rmSync(sandbox, { recursive: true, force: true })
  })

  describe('DP-01 bearer downgrade or missing proof', () => {
    it('never accepts a DPoP-bound token as a bearer token, nor without its proof', async () => {
      await baseline()
      expect(decodeJwt(task.token).cnf).toBeDefined()
      await expect401Challenge(await mcp({ authorization: `Bearer ${task.token}` }), 'Bearer, no proof')
      await expect401Challenge(
        await mcp({ authorization: `Bearer ${task.token}`, dpop: await proofFor() }),
        'Bearer + proof',
      )
      await expect401Challenge(await mcp({ authorization: `DPoP ${task.token}` }), 'DPoP, no proof')
      await expect401Challenge(
        await mcp({ dpop: await proofFor() }, `/mcp/files?access_token=${task.token}`),
        'query',
      )
      await expect401Challenge(
        await mcp(
          { 'content-type': 'application/x-www-form-urlencoded' },
          '/mcp/files',
          `access_token=${task.token}`,
        ),
        'form body',
      )
      await baseline()
    })

    it('gives a tier that needs no proofs an unbound token, which then works as a plain bearer token', async () => {
      const bearer = await attestWithJoinToken(t, 'bearer')
      const low = await opened(await openTask(t, bearer, { purpose: 'low tier', tools: ['read_file'] }))
      expect(decodeJwt(low.token).cnf).toBeUndefined()
      await ok(await mcp({ authorization: `Bearer ${low.token}` }), 'unbound bearer')
    })
  })

  describe('DP-02 proof replay', () => {
    it('refuses a proof used twice, or for another URL, and still after a restart', async () => {
      await baseline()
      const proof = await proofFor()
      await ok(await mcp({ authorization: `DPoP ${task.token}`, dpop: proof }))
      await expect401Challenge(await mcp({ authorization: `DPoP ${task.token}`, dpop: proof }), 'replay')
      const other = await proofFor()
      await expect401Challenge(
        await t.request('POST', `/v1/tasks/${task.taskId}/token`, {
          headers: { authorization: `DPoP ${task.token}`, dpop: other },
          admin: false,
        }),
        'another URL',
      )
      await baseline()
    })

    it('keeps the jti of a used proof across a restart', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'warden-dpop-restart-'))
      const clock = new FakeClock()
      let w = await startTestWarden({}, { dataDir, clock })
      try {
        await registerAgent(w, 'restarting', { tier: 'standard' })
        const me = await attestWithJoinToken(w, 'restarting')
        const mine = await opened(await openTask(w, me, { purpose: 'restart', tools: ['read_file'] }))
        const proof = await me.key.proof('POST', `${BASE}/v1/tasks/${mine.taskId}/token`, {
          accessToken: mine.token,
        })
        expect((await useToken(w, me, mine, { proof })).status).toBe(201)
        await w.warden.close()
        w = await startTestWarden({}, { dataDir, clock })
        await expect401Challenge(await useToken(w, me, mine, { proof }), 'replay after restart')
        expect((await useToken(w, me, mine)).status).toBe(201)
      } finally {
        await w.dispose()
        rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })

  describe('DP-03 htm/htu binding and normalization', () => {
    it('refuses another method or URL, accepts query, fragment, case and default-port variants', async () => {
      await baseline()
      const auth = { authorization: `DPoP ${task.token}` }
      const wrong = [
        await who.key.proof('GET', MCP, { accessToken: task.token }),
        await who.key.proof('POST', 'https://wrong.example/mcp/files', { accessToken: task.token }),
        await who.key.proof('POST', `${BASE}/v1/token`, { accessToken: task.token }),
      ]
      for (const dpop of wrong) await expect401Challenge(await mcp({ ...auth, dpop }))
      for (const htu of [`${MCP}?x=1#f`, 'HTTP://LOCALHOST/mcp/files', 'http://localhost:80/mcp/files']) {
        await ok(
          await mcp({ ...auth, dpop: await who.key.proof('POST', htu, { accessToken: task.token }) }),
          htu,
        )
      }
      await baseline()
    })
  })

  describe('DP-04 iat window', () => {
    it('refuses ±303 s and ±3600 s, accepts ±60 s', async () => {
      await baseline()
      const now = Math.floor(t.clock.now() / 1000)
      for (const offset of [303, -303, 3600, -3600])
        await expect401Challenge(
          await mcp({
            authorization: `DPoP ${task.token}`,
            dpop: await proofFor(task.token, { iat: now + offset }),
          }),
          `iat ${offset}`,
        )
      for (const offset of [60, -60])
        await ok(
          await mcp({
            authorization: `DPoP ${task.token}`,
            dpop: await proofFor(task.token, { iat: now + offset }),
          }),
          `iat ${offset}`,
        )
      await baseline()
    })
  })

  describe('DP-05 key and token binding', () => {
    it('refuses another key, a wrong or missing ath, and swapped proofs', async () => {
      await baseline()
      const other = await InstanceKey.generate({ clock: t.clock })
      const auth = { authorization: `DPoP ${task.token}` }
      await expect401Challenge(
        await mcp({ ...auth, dpop: await other.proof('POST', MCP, { accessToken: task.token }) }),
        'other key',
      )
      await expect401Challenge(await mcp({ ...auth, dpop: await proofFor('another-token') }), 'wrong ath')
      await expect401Challenge(await mcp({ ...auth, dpop: await who.key.proof('POST', MCP) }), 'no ath')
      // (c) a token bound to K2, presented with a K1 proof; (d) two tokens with their proofs swapped.
      const second = await attestWithJoinToken(t, 'caller')
      const task2 = await opened(await openTask(t, second, { purpose: 'second', tools: ['read_file'] }))
      await expect401Challenge(
        await mcp({ authorization: `DPoP ${task2.token}`, dpop: await proofFor(task2.token) }),
        'cnf mismatch',
      )
      await expect401Challenge(
        await mcp({ authorization: `DPoP ${task2.token}`, dpop: await proofFor(task.token) }),
        'swapped',
      )
      await baseline()
    })
  })

  describe('DP-06 malformed proof', () => {
    it('refuses every defect with invalid_dpop_proof, accepts the DPOP header name and extra claims', async () => {
      await baseline()
      const auth = { authorization: `DPoP ${task.token}` }
      const claims = () => proofClaims('POST', MCP, task.token, t.clock.now())
      const signed = (header: Record<string, unknown>, c: Record<string, unknown> = claims()) =>
        rawProof(who.key, header, c)
      const unsigned = (header: Record<string, unknown>) =>
        `${b64({ typ: 'dpop+jwt', jwk: who.key.publicJwk, ...header })}.${b64(claims())}.${b64('sig')}`
      const without = (name: string) => {
        const c: Record<string, unknown> = claims()
        delete c[name]
        return c
      }
      const { d: _d, ...publicOnly } = who.key.publicJwk
      const defects: Array<[string, string]> = [
        ['typ missing', await signed({ typ: undefined })],
        ['typ JWT', await signed({ typ: 'JWT' })],
        ['typ secevent+jwt', await signed({ typ: 'secevent+jwt' })],
        ['alg none', unsigned({ alg: 'none' })],
        ['alg HS256', unsigned({ alg: 'HS256' })],
        ['alg 1', unsigned({ alg: 1 })],
        ['alg true', unsigned({ alg: true })],
        ['jwk missing', unsigned({ alg: 'ES256', jwk: undefined })],
        ['jwk private', unsigned({ alg: 'ES256', jwk: { ...publicOnly, d: 'AAAA' } })],
        ['jwk oct', unsigned({ alg: 'ES256', jwk: { kty: 'oct', k: 'AAAA' } })],
        ['jwk null', unsigned({ alg: 'ES256', jwk: null })],
        ['jwk []', unsigned({ alg: 'ES256', jwk: [] })],
        ['jwk "foo"', unsigned({ alg: 'ES256', jwk: 'foo' })],
        ['jti missing', await signed({}, without('jti'))],
        ['htm missing', await signed({}, without('htm'))],
        ['htu missing', await signed({}, without('htu'))],
        ['iat missing', await signed({}, without('iat'))],
        ['not a JWT', 'not-a-jwt'],
      ]
      for (const [label, dpop] of defects) {
        const challenge = await expect401Challenge(await mcp({ ...auth, dpop }), label)
        expect(challenge, label).toContain('error="invalid_dpop_proof"')
      }
      // Two DPoP headers (fetch joins them with a comma).
      const two = new Headers({
        ...auth,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      })
      two.append('dpop', await proofFor())
      two.append('dpop', await proofFor())
      await expect401Challenge(
        await t.app.request(MCP, { method: 'POST', headers: two, body: INITIALIZE }),
        'two proofs',
      )
      // Controls: the header name in capitals, and extra claims and header members.
      await ok(await mcp({ ...auth, DPOP: await proofFor() }), 'DPOP header')
      await ok(
        await mcp({ ...auth, dpop: await signed({ extra: 'member' }, { ...claims(), extra: 'claim' }) }),
        'extra claims',
      )
      await baseline()
    })
  })

  describe('DP-07 token-endpoint binding', () => {
    it("binds the exchanged token to the thumbprint of the proof's key (no nonce is issued)", async () => {
      const sub = await attestWithJoinToken(t, 'sub')
      const res = await exchange(t, task.token, sub)
      expect(res.status).toBe(200)
      expect(res.headers.get('dpop-nonce')).toBeNull()
      const body = (await res.json()) as { access_token: string; token_type: string }
      expect(body.token_type).toBe('DPoP')
      const cnf = decodeJwt(body.access_token).cnf as { jkt: string }
      expect(cnf.jkt).toBe(await calculateJwkThumbprint(sub.key.publicJwk))
    })
  })
})
