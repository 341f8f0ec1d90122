import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WardenAgent } from '../../src/sdk/index.js'
import { startCluster, type TestCluster } from '../fakes/cluster.js'
import { mcpClient } from '../fakes/gateway.js'

const FILESYSTEM = new URL(
  '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
  import.meta.url,
).pathname

describe('approvals across nodes', () => {
  let cluster: TestCluster
  let sandbox: string
  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-cluster-hold-'))
    cluster = await startCluster(2, {
      upstreams: { files: { command: ['node', FILESYSTEM, sandbox] } },
      approvals: { hold: '60s' },
    })
  }, 120_000)
  afterAll(async () => {
    await cluster?.dispose()
    rmSync(sandbox, { recursive: true, force: true })
  })

  it('releases a call held on one node when a human approves it on the other', async () => {
    const [a, b] = cluster.nodes as [
      NonNullable<TestCluster['nodes'][0]>,
      NonNullable<TestCluster['nodes'][0]>,
    ]
    expect(
      (
        await cluster.admin(1, 'POST', '/v1/agents', {
          name: 'ops',
          owner: 'ops@example.com',
          tier: 'high',
          entitlements: ['write_file'],
        })
      ).status,
    ).toBe(201)
    const minted = (await (await cluster.admin(1, 'POST', '/v1/agents/ops/join-tokens')).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(a.url, { method: 'join_token', token: minted.token })
    const target = join(sandbox, 'deploy.txt')
    const task = await agent.openTask({
      purpose: 'deploy',
      prompt: `write the marker to ${target}`,
      tools: ['write_file'],
    })
    const files = await mcpClient(`${a.url}/mcp/files`, agent, task)

    let pending: { id: string; task: string } | undefined
    const held = files.callTool({ name: 'write_file', arguments: { path: target, content: 'v1' } })
    // The call waits on node A; its approval request is visible on node B.
    while (!pending) {
      const { approvals } = (await (
        await cluster.admin(1, 'GET', '/v1/approvals?status=pending')
      ).json()) as {
        approvals: Array<{ id: string; task: string }>
      }
      pending = approvals.find((approval) => approval.task === task.taskId)
      if (!pending) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Held, not forwarded: nothing written yet.
    expect(existsSync(target)).toBe(false)
    expect((await cluster.admin(1, 'POST', `/v1/approvals/${pending.id}/approve`)).status).toBe(200)
    // Released by the approval on B: the hold (60 s) would otherwise end in an error naming the approval.
    const result = await held
    expect(result.isError).not.toBe(true)
    expect(readFileSync(target, 'utf8')).toBe('v1')
    const { approvals } = (await (
      await fetch(`${b.url}/v1/approvals?status=used`, {
        headers: { authorization: 'Bearer cluster-admin-token' },
      })
    ).json()) as { approvals: Array<{ id: string }> }
    expect(approvals.map((approval) => approval.id)).toContain(pending.id)
    await files.close()
  }, 120_000)
})
