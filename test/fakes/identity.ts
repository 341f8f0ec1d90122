import { expect } from 'vitest'
import { InstanceKey } from './instance-key.js'
import { BASE, type TestWarden } from './warden.js'

/** Registers an agent through the API. */
export async function registerAgent(
  t: TestWarden,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Response> {
  const res = await t.request('POST', '/v1/agents', {
    body: {
      name,
      owner: `${name}-owner@example.com`,
      tier: 'standard',
      entitlements: ['read_file'],
      ...extra,
    },
  })
  return res
}

/** Mints a join token for `agent` through the API. */
export async function joinToken(t: TestWarden, agent: string): Promise<string> {
  const res = await t.request('POST', `/v1/agents/${agent}/join-tokens`)
  expect(res.status).toBe(201)
  return ((await res.json()) as { token: string }).token
}

export interface Attested {
  key: InstanceKey
  instanceId: string
  spiffeId: string
  svid: string
}

/** Attests a fresh instance; returns the response so tests can assert on refusals too. */
export async function attest(
  t: TestWarden,
  body: { method: string; token: string; codeDigest?: string },
  options: { key?: InstanceKey; proofKey?: InstanceKey; proof?: string } = {},
): Promise<{ res: Response; key: InstanceKey }> {
  const key = options.key ?? (await InstanceKey.generate({ clock: t.clock }))
  const proof = options.proof ?? (await (options.proofKey ?? key).proof('POST', `${BASE}/v1/attest`))
  const res = await t.request('POST', '/v1/attest', {
    body: { ...body, publicKey: key.publicJwk },
    headers: { dpop: proof },
    admin: false,
  })
  return { res, key }
}

/** Attests a fresh instance of `agent` with a join token and expects success. */
export async function attestWithJoinToken(t: TestWarden, agent: string): Promise<Attested> {
  const token = await joinToken(t, agent)
  const { res, key } = await attest(t, { method: 'join_token', token })
  expect(res.status, await res.clone().text()).toBe(201)
  const body = (await res.json()) as { instanceId: string; spiffeId: string; svid: string }
  return { key, ...body }
}

/** Renews an SVID with a fresh proof. */
export async function renew(t: TestWarden, who: Attested, svid = who.svid): Promise<Response> {
  const proof = await who.key.proof('POST', `${BASE}/v1/svid/renew`, { accessToken: svid })
  return t.request('POST', '/v1/svid/renew', {
    headers: { authorization: `DPoP ${svid}`, dpop: proof },
    admin: false,
  })
}

/** The `code` of an error response. */
export async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code
}
