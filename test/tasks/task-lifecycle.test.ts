import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Attested, attestWithJoinToken, codeOf, registerAgent, renew } from '../fakes/identity.js'
import { InstanceKey } from '../fakes/instance-key.js'
import { exchange, type OpenedTask, openTask, useToken } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

async function opened(res: Response): Promise<OpenedTask> {
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as OpenedTask
}

describe('tasks and task tokens', () => {
  let t: TestWarden
  let planner: Attested
  beforeEach(async () => {
    t = await startTestWarden({ tasks: { maxDelegationDepth: 2 } })
    await registerAgent(t, 'planner', {
      tier: 'high',
      entitlements: ['read_file', 'search', 'send_email'],
      delegatesTo: ['researcher'],
    })
    await registerAgent(t, 'researcher', {
      tier: 'low',
      entitlements: ['read_file', 'search'],
      delegatesTo: ['helper'],
    })
    await registerAgent(t, 'helper', {
      tier: 'standard',
      entitlements: ['read_file', 'search'],
      delegatesTo: ['helper'],
    })
    await registerAgent(t, 'outsider', { tier: 'standard', entitlements: ['read_file'] })
    planner = await attestWithJoinToken(t, 'planner')
  })
  afterEach(() => t.dispose())

  it('opens a task with a DPoP-bound, intent-bound token whose lifetime follows the tier', async () => {
    const task = await opened(
      await openTask(t, planner, { purpose: 'weekly report', tools: ['read_file', 'search'] }),
    )
    const claims = decodeJwt(task.token)
    expect(decodeProtectedHeader(task.token).typ).toBe('at+jwt')
    expect(claims).toMatchObject({
      sub: planner.spiffeId,
      task: task.taskId,
      scope: 'read_file search',
      tier: 'high',
    })
    expect((claims.exp as number) - (claims.iat as number)).toBe(600) // high: 10 minutes
    expect((claims.cnf as { jkt: string }).jkt).toBeTypeOf('string')
    expect(claims.intent).toMatch(/^sha256:/)
    expect((await useToken(t, planner, task)).status).toBe(201)
  })

  it("re-checks a session's caller with one read: a closed task, a quarantined instance, a disabled agent each stop it", async () => {
    const lifecycle = t.warden.tasks.lifecycle
    const caller = async (who: Attested, tools: string[]) => {
      const task = await opened(await openTask(t, who, { purpose: 'session', tools }))
      const url = `${BASE}/mcp/files`
      const proof = await who.key.proof('POST', url, { accessToken: task.token })
      return {
        task,
        caller: await lifecycle.authenticate(task.token, { proof, method: 'POST', url, scheme: 'DPoP' }),
      }
    }
    const first = await caller(planner, ['read_file'])
    const again = await lifecycle.recheck(first.caller)
    expect(again.task).toEqual(first.caller.task)
    expect(again.instance.status).toBe('active')

    await lifecycle.close(first.caller.task, 'done')
    await expect(lifecycle.recheck(first.caller)).rejects.toMatchObject({ code: 'TASK_CLOSED' })

    const second = await caller(planner, ['read_file'])
    await t.request('POST', `/v1/instances/${planner.instanceId}/quarantine`, { body: { reason: 'test' } })
    await expect(lifecycle.recheck(second.caller)).rejects.toMatchObject({ code: 'INSTANCE_QUARANTINED' })

    const helper = await attestWithJoinToken(t, 'helper')
    const third = await caller(helper, ['search'])
    await t.request('POST', '/v1/agents/helper/disable')
    await expect(lifecycle.recheck(third.caller)).rejects.toMatchObject({ code: 'AGENT_DISABLED' })
    await t.request('POST', '/v1/agents/helper/enable')
    expect((await lifecycle.recheck(third.caller)).agent.status).toBe('active')
  })

  it("authenticates a session's later requests against its caller: token and proof in full, the standing read again", async () => {
    const lifecycle = t.warden.tasks.lifecycle
    const url = `${BASE}/mcp/files`
    const task = await opened(await openTask(t, planner, { purpose: 'session', tools: ['read_file'] }))
    const context = async (token = task.token) => ({
      proof: await planner.key.proof('POST', url, { accessToken: token }),
      method: 'POST',
      url,
      scheme: 'DPoP',
    })
    const first = await lifecycle.authenticate(task.token, await context())
    const proof = await context()
    const again = await lifecycle.authenticate(task.token, proof, first)
    expect(again.task).toEqual(first.task)
    expect(again.proven).toBe(true)
    // The proof is checked as for any request: a replayed one is refused, the caller known or not.
    await expect(lifecycle.authenticate(task.token, proof, first)).rejects.toMatchObject({
      code: 'PROOF_REPLAYED',
    })
    // A caller of another task is no shortcut: the token's own task is read.
    const other = await opened(await openTask(t, planner, { purpose: 'other', tools: ['read_file'] }))
    const otherCaller = await lifecycle.authenticate(other.token, await context(other.token))
    expect((await lifecycle.authenticate(task.token, await context(), otherCaller)).task.id).toBe(task.taskId)
    // The proof comes before the standing: without the instance's key, a disabled agent is not revealed, and a
    // proof by another key is credential reuse whatever the standing.
    const thief = await attestWithJoinToken(t, 'planner')
    await t.request('POST', '/v1/agents/planner/disable')
    await expect(
      lifecycle.authenticate(task.token, { proof: undefined, method: 'POST', url, scheme: 'DPoP' }, first),
    ).rejects.toMatchObject({ code: 'PROOF_MISSING' })
    const stolen = {
      proof: await thief.key.proof('POST', url, { accessToken: task.token }),
      method: 'POST',
      url,
      scheme: 'DPoP',
    }
    await expect(lifecycle.authenticate(task.token, stolen, first)).rejects.toMatchObject({
      code: 'CREDENTIAL_REUSE',
    })
    await t.request('POST', '/v1/agents/planner/enable')
    // The reuse revoked the task.
    await expect(lifecycle.authenticate(task.token, await context(), first)).rejects.toMatchObject({
      code: 'TASK_CLOSED',
    })
    // What can change is read again.
    const later = await opened(await openTask(t, planner, { purpose: 'later', tools: ['read_file'] }))
    const laterCaller = await lifecycle.authenticate(later.token, await context(later.token))
    await t.request('POST', `/v1/instances/${planner.instanceId}/quarantine`, { body: { reason: 'test' } })
    await expect(
      lifecycle.authenticate(later.token, await context(later.token), laterCaller),
    ).rejects.toMatchObject({ code: 'INSTANCE_QUARANTINED' })
  })

  it("verifies a token's signature once, and still refuses it on the next request once its task is closed or its instance quarantined", async () => {
    const { lifecycle, tokens } = t.warden.tasks
    const url = `${BASE}/mcp/files`
    const use = async (task: OpenedTask) =>
      lifecycle.authenticate(task.token, {
        proof: await planner.key.proof('POST', url, { accessToken: task.token }),
        method: 'POST',
        url,
        scheme: 'DPoP',
      })
    const closing = await opened(await openTask(t, planner, { purpose: 'to close', tools: ['read_file'] }))
    const quarantined = await opened(await openTask(t, planner, { purpose: 'to stop', tools: ['read_file'] }))
    expect(tokens.isVerified(closing.token)).toBe(false)
    await use(closing)
    await use(quarantined)
    // Positive control: the cache is warm and a fresh proof is all the next request needs.
    expect(tokens.isVerified(closing.token)).toBe(true)
    expect((await use(closing)).task.id).toBe(closing.taskId)
    expect((await use(quarantined)).task.id).toBe(quarantined.taskId)
    // The cache keeps the signature's verdict, never the standing: the next request after a close is refused.
    await t.request('POST', `/v1/tasks/${closing.taskId}/close`, { body: { reason: 'done' } })
    expect(tokens.isVerified(closing.token)).toBe(true)
    await expect(use(closing)).rejects.toMatchObject({ code: 'TASK_CLOSED' })
    // And after a quarantine of the instance, with that token's cache entry warm too.
    await t.request('POST', `/v1/instances/${planner.instanceId}/quarantine`, { body: { reason: 'test' } })
    expect(tokens.isVerified(quarantined.token)).toBe(true)
    await expect(use(quarantined)).rejects.toMatchObject({ code: 'INSTANCE_QUARANTINED' })
  })

  it('does not take a cached token past its expiry', async () => {
    const { tokens } = t.warden.tasks
    const task = await opened(await openTask(t, planner, { purpose: 'short', tools: ['read_file'] }))
    await tokens.verify(task.token)
    expect(tokens.isVerified(task.token)).toBe(true)
    // Positive control: just inside the clock skew past `exp`, the cached verdict stands.
    const { exp } = decodeJwt(task.token) as { exp: number }
    t.clock.advance(exp * 1000 - t.clock.now() + 1000)
    expect((await tokens.verify(task.token)).task).toBe(task.taskId)
    t.clock.advance(t.warden.config.identity.clockSkew)
    await expect(tokens.verify(task.token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' })
  })

  it('refuses an intent that declares a tool the agent is not entitled to', async () => {
    const res = await openTask(t, planner, { purpose: 'x', tools: ['read_file', 'delete_database'] })
    expect(await codeOf(res)).toBe('TOOL_NOT_ENTITLED')
  })

  it('refuses a token after its task is closed, and after a restart too', async () => {
    const task = await opened(await openTask(t, planner, { purpose: 'x' }))
    const close = await t.request('POST', `/v1/tasks/${task.taskId}/close`, { body: { reason: 'done' } })
    expect(close.status).toBe(200)
    expect(await codeOf(await useToken(t, planner, task))).toBe('TASK_CLOSED')

    await t.warden.close()
    const again = await startTestWarden({}, { clock: t.clock, dataDir: t.dataDir })
    try {
      expect(await codeOf(await useToken(again, planner, task))).toBe('TASK_CLOSED')
    } finally {
      await again.dispose()
    }
  })

  it('refuses DPoP attacks on a token: replay, wrong URL or method, stale proof, missing ath, no proof', async () => {
    const task = await opened(await openTask(t, planner, { purpose: 'x' }))
    const url = `${BASE}/v1/tasks/${task.taskId}/token`
    const replayed = await planner.key.proof('POST', url, { accessToken: task.token })
    expect((await useToken(t, planner, task, { proof: replayed })).status).toBe(201)
    expect(await codeOf(await useToken(t, planner, task, { proof: replayed }))).toBe('PROOF_REPLAYED')
    const now = Math.floor(t.clock.now() / 1000)
    const cases: Array<[string, Promise<string>, string]> = [
      [
        'wrong htu',
        planner.key.proof('POST', `${BASE}/v1/elsewhere`, { accessToken: task.token }),
        'PROOF_INVALID',
      ],
      ['wrong htm', planner.key.proof('GET', url, { accessToken: task.token }), 'PROOF_INVALID'],
      [
        'stale iat',
        planner.key.proof('POST', url, { accessToken: task.token, iat: now - 3600 }),
        'PROOF_INVALID',
      ],
      ['missing ath', planner.key.proof('POST', url), 'PROOF_INVALID'],
      [
        'ath of another token',
        planner.key.proof('POST', url, { accessToken: planner.svid }),
        'PROOF_INVALID',
      ],
    ]
    for (const [note, proof, code] of cases) {
      expect([note, await codeOf(await useToken(t, planner, task, { proof: await proof }))]).toEqual([
        note,
        code,
      ])
    }
    expect(await codeOf(await useToken(t, planner, task, { proof: null }))).toBe('PROOF_MISSING')
  })

  it('refuses a token stolen by another instance, records the reuse and revokes the task', async () => {
    const task = await opened(await openTask(t, planner, { purpose: 'x' }))
    const thief = await attestWithJoinToken(t, 'outsider')
    expect(await codeOf(await useToken(t, thief, task))).toBe('CREDENTIAL_REUSE')
    // High tier: the task is revoked, so even the rightful holder is now refused.
    expect(await codeOf(await useToken(t, planner, task))).toBe('TASK_CLOSED')
    const signals = (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?kind=signal`)).json()) as {
      events: Array<{ body: { kind: string; evidence: { otherInstance: string } } }>
    }
    expect(signals.events[0]?.body.kind).toBe('credential_reuse')
    expect(signals.events[0]?.body.evidence.otherInstance).toBe(thief.spiffeId)
  })

  it('keeps SVIDs and task tokens apart (audience confusion)', async () => {
    const task = await opened(await openTask(t, planner, { purpose: 'x' }))
    // An SVID presented where a task token is expected.
    const asTask = await useToken(t, planner, { taskId: task.taskId, token: planner.svid })
    expect(['TOKEN_INVALID', 'TOKEN_AUDIENCE_MISMATCH', 'TOKEN_CLAIMS_INVALID']).toContain(
      await codeOf(asTask),
    )
    // A task token presented as an SVID.
    const asSvid = await renew(t, planner, task.token)
    expect(['TOKEN_INVALID', 'TOKEN_AUDIENCE_MISMATCH', 'TOKEN_CLAIMS_INVALID']).toContain(
      await codeOf(asSvid),
    )
  })

  it('expires tokens and closes tasks past their maximum duration', async () => {
    const task = await opened(await openTask(t, planner, { purpose: 'x', maxDuration: '20m' }))
    t.clock.advance('11m')
    expect(await codeOf(await useToken(t, planner, task))).toBe('TOKEN_EXPIRED')
    t.clock.advance('10m')
    await t.warden.tasks.lifecycle.sweep()
    const state = (await (await t.request('GET', `/v1/tasks/${task.taskId}`)).json()) as {
      status: string
      closeReason: string
    }
    expect(state).toMatchObject({ status: 'closed', closeReason: 'maximum duration reached' })
  })

  describe('delegation by token exchange', () => {
    it('issues a child token that narrows, keeps the act chain, never outlives its parent, and is no weaker', async () => {
      const parent = await opened(
        await openTask(t, planner, { purpose: 'research', tools: ['read_file', 'search', 'send_email'] }),
      )
      const researcher = await attestWithJoinToken(t, 'researcher')
      const res = await exchange(t, parent.token, researcher, 'read_file')
      expect(res.status, await res.clone().text()).toBe(200)
      const body = (await res.json()) as {
        access_token: string
        token_type: string
        scope: string
        task_id: string
      }
      expect(body).toMatchObject({ token_type: 'DPoP', scope: 'read_file' })
      const child = decodeJwt(body.access_token)
      const parentClaims = decodeJwt(parent.token)
      expect(child.sub).toBe(planner.spiffeId)
      expect(child.act).toEqual({ sub: researcher.spiffeId, act: { sub: planner.spiffeId } })
      expect(child.tier).toBe('high') // researcher is `low`, but a child is never weaker than its parent
      expect(child.exp as number).toBeLessThanOrEqual(parentClaims.exp as number)
      expect((await useToken(t, researcher, { taskId: body.task_id, token: body.access_token })).status).toBe(
        201,
      )
    })

    it('refuses to widen scope beyond the parent or the sub-agent', async () => {
      const parent = await opened(
        await openTask(t, planner, { purpose: 'r', tools: ['read_file', 'send_email'] }),
      )
      const researcher = await attestWithJoinToken(t, 'researcher')
      expect(await codeOf(await exchange(t, parent.token, researcher, 'read_file search'))).toBe(
        'SCOPE_WIDENED',
      )
      expect(await codeOf(await exchange(t, parent.token, researcher, 'send_email'))).toBe('SCOPE_WIDENED')
    })

    it('refuses an agent the parent may not delegate to, and a chain deeper than allowed', async () => {
      const parent = await opened(await openTask(t, planner, { purpose: 'r' }))
      const outsider = await attestWithJoinToken(t, 'outsider')
      expect(await codeOf(await exchange(t, parent.token, outsider))).toBe('DELEGATION_NOT_ALLOWED')

      const researcher = await attestWithJoinToken(t, 'researcher')
      const depth1 = (await (await exchange(t, parent.token, researcher)).json()) as { access_token: string }
      const helper = await attestWithJoinToken(t, 'helper')
      const depth2 = await exchange(t, depth1.access_token, helper)
      expect(depth2.status).toBe(200)
      const helper2 = await attestWithJoinToken(t, 'helper')
      const depth3 = await exchange(
        t,
        ((await depth2.json()) as { access_token: string }).access_token,
        helper2,
      )
      expect(await codeOf(depth3)).toBe('DELEGATION_TOO_DEEP')
    })

    it('refuses an exchange whose proof is not by the actor, and a non-exchange grant', async () => {
      const parent = await opened(await openTask(t, planner, { purpose: 'r' }))
      const researcher = await attestWithJoinToken(t, 'researcher')
      const impostor = { ...researcher, key: await InstanceKey.generate({ clock: t.clock }) }
      expect(await codeOf(await exchange(t, parent.token, impostor))).toBe('PROOF_KEY_MISMATCH')
      const res = await t.app.request(`${BASE}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&subject_token=a&subject_token_type=b&actor_token=c&actor_token_type=d',
      })
      expect(await codeOf(res)).toBe('UNSUPPORTED_GRANT')
    })

    it('cascades a parent close to every descendant', async () => {
      const parent = await opened(await openTask(t, planner, { purpose: 'r' }))
      const researcher = await attestWithJoinToken(t, 'researcher')
      const child = (await (await exchange(t, parent.token, researcher)).json()) as {
        access_token: string
        task_id: string
      }
      const helper = await attestWithJoinToken(t, 'helper')
      const grandchild = (await (await exchange(t, child.access_token, helper)).json()) as {
        access_token: string
        task_id: string
      }
      const closed = await t.request('POST', `/v1/tasks/${parent.taskId}/close`, { body: {} })
      expect(((await closed.json()) as { closed: string[] }).closed.sort()).toEqual(
        [parent.taskId, child.task_id, grandchild.task_id].sort(),
      )
      expect(
        await codeOf(await useToken(t, researcher, { taskId: child.task_id, token: child.access_token })),
      ).toBe('TASK_CLOSED')
      expect(
        await codeOf(
          await useToken(t, helper, { taskId: grandchild.task_id, token: grandchild.access_token }),
        ),
      ).toBe('TASK_CLOSED')
      // A new exchange from the closed parent's token is refused too.
      expect(await codeOf(await exchange(t, parent.token, researcher))).toBe('TASK_CLOSED')
    })
  })
})
