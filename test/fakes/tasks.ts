import type { Attested } from './identity.js'
import { BASE, type TestWarden } from './warden.js'

/** Opens a task for an attested instance (SVID + DPoP proof). */
export async function openTask(
  t: TestWarden,
  who: Attested,
  intent: Record<string, unknown>,
): Promise<Response> {
  const proof = await who.key.proof('POST', `${BASE}/v1/tasks`, { accessToken: who.svid })
  return t.request('POST', '/v1/tasks', {
    body: { intent },
    headers: { authorization: `DPoP ${who.svid}`, dpop: proof },
    admin: false,
  })
}

export interface OpenedTask {
  taskId: string
  token: string
  expiresAt: string
  scope: string[]
  tier: string
}

/** Uses a task token (refresh is the simplest authenticated use); `proof: null` sends none. */
export async function useToken(
  t: TestWarden,
  who: Pick<Attested, 'key'>,
  task: Pick<OpenedTask, 'taskId' | 'token'>,
  options: { proof?: string | null } = {},
): Promise<Response> {
  const url = `${BASE}/v1/tasks/${task.taskId}/token`
  const proof =
    options.proof === undefined
      ? await who.key.proof('POST', url, { accessToken: task.token })
      : options.proof
  const headers: Record<string, string> = { authorization: `DPoP ${task.token}` }
  if (proof !== null) headers.dpop = proof
  return t.request('POST', `/v1/tasks/${task.taskId}/token`, { headers, admin: false })
}

/** RFC 8693 token exchange by a sub-agent instance. */
export async function exchange(
  t: TestWarden,
  parentToken: string,
  actor: Attested,
  scope?: string,
): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: parentToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    actor_token: actor.svid,
    actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
  })
  if (scope !== undefined) form.set('scope', scope)
  return t.app.request(`${BASE}/v1/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await actor.key.proof('POST', `${BASE}/v1/token`),
    },
    body: form.toString(),
  })
}
