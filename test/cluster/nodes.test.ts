import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS } from '../../src/store/index.js'
import {
  attestAgent,
  authorizeOn,
  type ClusterAgent,
  type ClusterTask,
  openClusterTask,
  send,
  startCluster,
  type TestCluster,
} from '../fakes/cluster.js'
import { runCli, type ServeProcess } from '../fakes/process.js'

const TOOLS = [
  {
    name: 'read_inbox',
    description: 'Read the inbox',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'archive',
    description: 'Archive a message',
    inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
]
const READ = { action: 'tools/call', server: 'mail', tool: 'read_inbox', args: {} }

describe('three warden serve processes on one PostgreSQL', () => {
  let cluster: TestCluster
  let agent: ClusterAgent
  beforeAll(async () => {
    cluster = await startCluster(3, { chain: { checkpointEvery: 40 } })
    const synced = await cluster.admin(0, 'PUT', '/v1/servers/mail/tools', { tools: TOOLS })
    expect(synced.status).toBe(200)
    agent = await attestAgent(
      cluster,
      'mailer',
      { entitlements: ['read_inbox', 'archive'] },
      { register: 0, attest: 1 },
    )
  }, 60_000)
  afterAll(() => cluster?.dispose())
  const node = (i: number) => cluster.nodes[i] as ServeProcess

  it('migrate once when started together, and share one set of keys, sealed in the store', async () => {
    const versions = await cluster.sql<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    )
    expect(versions.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((m) => m.version))

    const jwks = await Promise.all(
      cluster.nodes.map(async (node) => (await fetch(`${node.url}/.well-known/jwks.json`)).json()),
    )
    expect((jwks[0] as { keys: unknown[] }).keys).toHaveLength(1)
    expect(jwks[1]).toEqual(jwks[0])
    expect(jwks[2]).toEqual(jwks[0])
    const pems = cluster.dataDirs.map((dir) => readFileSync(join(dir, 'keys', 'chain-public.pem'), 'utf8'))
    expect(new Set(pems).size).toBe(1)

    const sealed = await cluster.sql<{ name: string; sealed: string }>(
      'SELECT name, sealed FROM shared_keys ORDER BY name',
    )
    expect(sealed.map((row) => row.name)).toEqual(['chain-signing', 'fingerprint', 'secrets', 'signing-keys'])
    for (const row of sealed) {
      expect(decodeProtectedHeader(row.sealed)).toMatchObject({
        alg: 'A256KW',
        enc: 'A256GCM',
        'warden.key': row.name,
      })
      expect(row.sealed).not.toMatch(/privateJwk|"d"/)
    }
  })

  it('takes an SVID from one node and a task token from another on a third', async () => {
    // SVID issued by node 1, task opened on node 2, used on node 0.
    const task = await openClusterTask(node(2), agent, { purpose: 'triage mail' })
    for (const node of cluster.nodes) {
      expect(await authorizeOn(node, agent, task, READ)).toMatchObject({ status: 200, effect: 'allow' })
    }
    // Control: the nodes verify the shared key's signature — a token whose signature is not it is refused.
    const [header, payload, signature] = task.token.split('.') as [string, string, string]
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const refused = await authorizeOn(node(0), agent, { ...task, token: forged }, READ)
    expect(refused).toMatchObject({ status: 401, code: 'TOKEN_INVALID' })
  })

  it('refuses a task closed on one node on every other, though they had served it', async () => {
    const task = await openClusterTask(node(0), agent, { purpose: 'triage mail' })
    for (const node of cluster.nodes) {
      expect((await authorizeOn(node, agent, task, READ)).effect).toBe('allow')
    }
    const closed = await cluster.admin(1, 'POST', `/v1/tasks/${task.taskId}/close`, { reason: 'done' })
    expect(closed.status).toBe(200)
    for (const node of cluster.nodes) {
      expect(await authorizeOn(node, agent, task, READ)).toMatchObject({ code: 'TASK_CLOSED' })
    }
  })

  it('refuses the tasks of an instance quarantined, and of an agent disabled, on another node', async () => {
    const other = await attestAgent(
      cluster,
      'mailer-two',
      { entitlements: ['read_inbox'] },
      { register: 1, attest: 2 },
    )
    const task = await openClusterTask(node(1), other, { purpose: 'triage mail' })
    expect((await authorizeOn(node(2), other, task, READ)).effect).toBe('allow')
    const quarantined = await cluster.admin(0, 'POST', `/v1/instances/${other.instanceId}/quarantine`, {
      reason: 'test',
    })
    expect(quarantined.status).toBe(200)
    expect(await authorizeOn(node(2), other, task, READ)).toMatchObject({
      code: 'INSTANCE_QUARANTINED',
    })

    const third = await attestAgent(
      cluster,
      'mailer-three',
      { entitlements: ['read_inbox'] },
      { register: 2, attest: 0 },
    )
    const second = await openClusterTask(node(0), third, { purpose: 'triage mail' })
    expect((await authorizeOn(node(1), third, second, READ)).effect).toBe('allow')
    expect((await cluster.admin(2, 'POST', '/v1/agents/mailer-three/disable')).status).toBe(200)
    expect(await authorizeOn(node(1), third, second, READ)).toMatchObject({
      code: 'AGENT_DISABLED',
    })
    expect((await cluster.admin(0, 'POST', '/v1/agents/mailer-three/enable')).status).toBe(200)
    expect((await authorizeOn(node(1), third, second, READ)).effect).toBe('allow')
  })

  it('keeps one gap-free chain with signed checkpoints while every node appends at full speed', async () => {
    const tasks = await Promise.all(
      cluster.nodes.map((node) => openClusterTask(node, agent, { purpose: 'triage mail' })),
    )
    await Promise.all(
      cluster.nodes.flatMap((node, i) =>
        Array.from({ length: 8 }, async () => {
          for (let n = 0; n < 10; n++) {
            const decided = await authorizeOn(node, agent, tasks[i] as ClusterTask, READ)
            expect(decided.effect).toBe('allow')
          }
        }),
      ),
    )
    const [{ count, max }] = (await cluster.sql<{ count: string; max: string }>(
      'SELECT COUNT(*) AS count, MAX(seq) AS max FROM chain_events',
    )) as [{ count: string; max: string }]
    expect(Number(count)).toBe(Number(max))
    const checkpoints = await cluster.sql<{ kid: string }>('SELECT DISTINCT kid FROM chain_checkpoints')
    expect(checkpoints).toHaveLength(1)
    const verified = await runCli(['chain', 'verify', '--data', cluster.dataDirs[2] as string], cluster.env)
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    expect(verified.stdout).toMatch(/chain intact/)
  })

  it('lets a task go on on another node after its node is killed mid-task, with nothing lost from the chain', async () => {
    const victim = node(2)
    const task = await openClusterTask(victim, agent, { purpose: 'triage mail' })
    const answered: string[] = []
    const inFlight = Array.from({ length: 6 }, async () => {
      for (;;) {
        const decided = await authorizeOn(victim, agent, task, READ).catch(() => undefined)
        if (!decided?.call) return
        answered.push(decided.call)
      }
    })
    while (answered.length < 10) await new Promise((resolve) => setTimeout(resolve, 5))
    victim.child.kill('SIGKILL')
    await Promise.all(inFlight)

    const after = await authorizeOn(node(0), agent, task, READ)
    expect(after.effect).toBe('allow')
    const res = await cluster.admin(1, 'GET', `/v1/tasks/${task.taskId}/chain?limit=10000`)
    const { events } = (await res.json()) as { events: Array<{ kind: string; body: { call?: string } }> }
    const decided = new Set(events.filter((e) => e.kind === 'decision').map((e) => e.body.call))
    for (const call of [...answered, after.call]) expect(decided.has(call)).toBe(true)
    const verified = await runCli(['chain', 'verify', '--data', cluster.dataDirs[0] as string], cluster.env)
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    // The killed node's place is taken by a new one, which serves the task too.
    const replacement = await cluster.add()
    expect((await authorizeOn(replacement, agent, task, READ)).effect).toBe('allow')
    await send(replacement, agent, `/v1/tasks/${task.taskId}/close`, { reason: 'done' }, task.token)
  })
})
