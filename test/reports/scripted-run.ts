import { expect } from 'vitest'
import { type Attested, attestWithJoinToken, codeOf, registerAgent } from '../fakes/identity.js'
import { exchange, type OpenedTask, openTask, useToken } from '../fakes/tasks.js'
import { BASE, type TestWarden } from '../fakes/warden.js'

const TOOLS = [
  {
    name: 'read_doc',
    description: 'Read a document',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'write_doc',
    description: 'Write a document',
    inputSchema: {
      type: 'object',
      properties: { path: { type: 'string' }, text: { type: 'string' } },
      required: ['path', 'text'],
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
  },
  {
    name: 'delete_doc',
    description: 'Delete a document',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
  },
  {
    name: 'send_mail',
    description: 'Send an e-mail',
    inputSchema: {
      type: 'object',
      properties: { to: { type: 'string' }, body: { type: 'string' } },
      required: ['to', 'body'],
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  },
]

const PROMPT =
  'Read /docs/a.txt, write the summary to /docs/b.txt, then delete /docs/old.txt and /docs/keep.txt as the cleanup asks'

/** What the scripted run did, for the tests to check every number of the reports against. */
export interface ScriptedRun {
  tasks: { lead: OpenedTask; worker: OpenedTask; reader: OpenedTask; own: OpenedTask }
  /** Each decision's effect, in order, with the agent whose task it was and the tool. */
  decisions: Array<{ agent: string; tool: string; effect: string }>
  /** Chain seqs of the two delegation records, in order. */
  delegations: number[]
}

async function authorize(
  t: TestWarden,
  who: Attested,
  task: OpenedTask,
  tool: string,
  args: Record<string, unknown>,
): Promise<{ effect: string; approval?: string }> {
  const url = `${BASE}/v1/authorize`
  const res = await t.request('POST', '/v1/authorize', {
    body: { action: 'tools/call', tool, args },
    headers: {
      authorization: `DPoP ${task.token}`,
      dpop: await who.key.proof('POST', url, { accessToken: task.token }),
    },
    admin: false,
  })
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as { effect: string; approval?: string }
}

/**
 * A run with known delegations, denials and approvals:
 * - agents: lead (high) → worker (low) → reader (standard); lead → reader; scout (low) → lead; idle (standard).
 * - lead's task: a read, a write, a delete escalated and approved (then allowed), another escalated and refused
 *   (then denied); worker takes a delegation from it and writes (at tier high); reader takes one from worker,
 *   reads, and is denied a write outside its scope; worker's own task (tier low) is denied a write and reads.
 * - reader presents worker's own task token with its own key (credential reuse, refused).
 * - lead's task closes (with its two descendants), then worker's own.
 */
export async function scriptedRun(t: TestWarden): Promise<ScriptedRun> {
  const tools = await t.request('PUT', '/v1/servers/docs/tools', { body: { tools: TOOLS } })
  expect(tools.status).toBe(200)
  const register = async (name: string, tier: string, entitlements: string[], delegatesTo: string[]) => {
    const res = await registerAgent(t, name, { tier, entitlements, delegatesTo })
    expect(res.status, await res.clone().text()).toBe(201)
  }
  await register('lead', 'high', ['read_doc', 'write_doc', 'delete_doc', 'send_mail'], ['worker', 'reader'])
  await register('worker', 'low', ['read_doc', 'write_doc'], ['reader'])
  await register('reader', 'standard', ['read_doc'], [])
  await register('scout', 'low', ['read_doc', 'write_doc'], ['lead'])
  await register('idle', 'standard', ['read_doc'], [])

  const lead = await attestWithJoinToken(t, 'lead')
  const worker = await attestWithJoinToken(t, 'worker')
  const reader = await attestWithJoinToken(t, 'reader')
  const decisions: ScriptedRun['decisions'] = []
  const decide = async (
    agent: string,
    who: Attested,
    task: OpenedTask,
    tool: string,
    args: Record<string, unknown>,
  ) => {
    const decision = await authorize(t, who, task, tool, args)
    decisions.push({ agent, tool, effect: decision.effect })
    return decision
  }

  const opened = await openTask(t, lead, {
    purpose: 'docs cleanup',
    prompt: PROMPT,
    tools: ['read_doc', 'write_doc', 'delete_doc'],
  })
  expect(opened.status, await opened.clone().text()).toBe(201)
  const leadTask = (await opened.json()) as OpenedTask
  expect(leadTask.tier).toBe('high')
  await decide('lead', lead, leadTask, 'read_doc', { path: '/docs/a.txt' })
  await decide('lead', lead, leadTask, 'write_doc', { path: '/docs/b.txt', text: 'summary' })
  const first = await decide('lead', lead, leadTask, 'delete_doc', { path: '/docs/old.txt' })
  expect(first.effect).toBe('escalate')
  expect((await t.request('POST', `/v1/approvals/${first.approval}/approve`)).status).toBe(200)
  await decide('lead', lead, leadTask, 'delete_doc', { path: '/docs/old.txt' })
  const second = await decide('lead', lead, leadTask, 'delete_doc', { path: '/docs/keep.txt' })
  expect(second.effect).toBe('escalate')
  expect((await t.request('POST', `/v1/approvals/${second.approval}/deny`)).status).toBe(200)
  await decide('lead', lead, leadTask, 'delete_doc', { path: '/docs/keep.txt' })

  const delegated = await exchange(t, leadTask.token, worker)
  expect(delegated.status, await delegated.clone().text()).toBe(200)
  const workerTask = issued(await delegated.json())
  await decide('worker', worker, workerTask, 'write_doc', { path: '/docs/b.txt', text: 'summary, reviewed' })

  const again = await exchange(t, workerTask.token, reader)
  expect(again.status, await again.clone().text()).toBe(200)
  const readerTask = issued(await again.json())
  await decide('reader', reader, readerTask, 'read_doc', { path: '/docs/b.txt' })
  await decide('reader', reader, readerTask, 'write_doc', { path: '/docs/b.txt', text: 'x' })

  const own = await openTask(t, worker, {
    purpose: 'notes',
    prompt: 'write /docs/n.txt',
    tools: ['read_doc', 'write_doc'],
  })
  expect(own.status).toBe(201)
  const ownTask = (await own.json()) as OpenedTask
  await decide('worker', worker, ownTask, 'write_doc', { path: '/docs/n.txt', text: 'n' })
  await decide('worker', worker, ownTask, 'read_doc', { path: '/docs/n.txt' })
  // reader presents worker's token with its own key: refused, and a credential_reuse signal (tier low: not revoked).
  expect(await codeOf(await useToken(t, reader, ownTask))).toBe('CREDENTIAL_REUSE')

  for (const task of [leadTask, ownTask]) {
    expect(
      (await t.request('POST', `/v1/tasks/${task.taskId}/close`, { body: { reason: 'done' } })).status,
    ).toBe(200)
  }
  const delegations = (await t.warden.chain.query({ kind: 'delegation', limit: 10 })).map((e) => e.seq)
  await t.warden.chain.checkpoint()
  return {
    tasks: { lead: leadTask, worker: workerTask, reader: readerTask, own: ownTask },
    decisions,
    delegations,
  }
}

/** A delegated token (RFC 8693 response) as an opened task. */
function issued(body: unknown): OpenedTask {
  const { access_token, task_id, scope, tier } = body as Record<string, string>
  return {
    taskId: task_id as string,
    token: access_token as string,
    expiresAt: '',
    scope: (scope ?? '').split(' '),
    tier: tier as string,
  }
}
