import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const FILESYSTEM = new URL(
  '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
  import.meta.url,
).pathname

describe('the gateway holds an escalated call for a human', () => {
  let t: TestWarden
  let sandbox: string
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-hold-'))
    t = await startTestWarden(
      { upstreams: { files: { command: ['node', FILESYSTEM, sandbox] } }, approvals: { hold: '5s' } },
      { clock: new ShiftedClock() },
    )
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
  }, 30_000)
  afterAll(async () => {
    await stop?.()
    await t?.dispose()
    rmSync(sandbox, { recursive: true, force: true })
  })

  it('lets the held write through once approved, and answers an unanswered one with its approval id', async () => {
    await t.request('POST', '/v1/agents', {
      body: { name: 'ops', owner: 'ops@example.com', tier: 'high', entitlements: ['write_file'] },
    })
    const minted = (await (await t.request('POST', '/v1/agents/ops/join-tokens')).json()) as { token: string }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const target = join(sandbox, 'deploy.txt')
    const task = await agent.openTask({
      purpose: 'deploy',
      prompt: `write the deploy marker to ${target}`,
      tools: ['write_file'],
    })
    const files = await mcpClient(`${url}/mcp/files`, agent, task)

    // A human approves while the call is held.
    const approver = (async () => {
      for (let i = 0; i < 50; i++) {
        const { approvals } = (await (await t.request('GET', '/v1/approvals?status=pending')).json()) as {
          approvals: Array<{ id: string }>
        }
        if (approvals[0]) return t.request('POST', `/v1/approvals/${approvals[0].id}/approve`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error('no approval request appeared')
    })()
    const result = await files.callTool({ name: 'write_file', arguments: { path: target, content: 'v1' } })
    await approver
    expect(result.isError).not.toBe(true)
    expect(readFileSync(target, 'utf8')).toBe('v1')

    // Nobody answers: after the hold, the client is told which approval to wait for.
    const error = await files
      .callTool({ name: 'write_file', arguments: { path: target, content: 'v2' } })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(McpError)
    expect((error as McpError).code).toBe(RPC.ESCALATED)
    expect(
      ((error as McpError).data as { approval: string }).approval,
      JSON.stringify((error as McpError).data),
    ).toBeTypeOf('string')
    expect(readFileSync(target, 'utf8')).toBe('v1')
    await files.close()
  }, 30_000)

  it('does not forward a held call approved after its task ended', async () => {
    const minted = (await (await t.request('POST', '/v1/agents/ops/join-tokens')).json()) as { token: string }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const target = join(sandbox, 'late.txt')
    const task = await agent.openTask({ purpose: 'deploy', prompt: `write ${target}`, tools: ['write_file'] })
    const files = await mcpClient(`${url}/mcp/files`, agent, task)
    const approver = (async () => {
      for (let i = 0; i < 50; i++) {
        const { approvals } = (await (await t.request('GET', '/v1/approvals?status=pending')).json()) as {
          approvals: Array<{ id: string; task: string }>
        }
        const mine = approvals.find((approval) => approval.task === task.taskId)
        if (mine) {
          // The task's token (10 min at tier high) expires while the human looks; the approval (15 min) does not.
          t.clock.advance('11m')
          return t.request('POST', `/v1/approvals/${mine.id}/approve`)
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error('no approval request appeared')
    })()
    const error = await files
      .callTool({ name: 'write_file', arguments: { path: target, content: 'late' } })
      .catch((e: unknown) => e)
    await approver
    expect(String(error)).toMatch(/expired|has ended/)
    expect(existsSync(target)).toBe(false)
    await files.close().catch(() => undefined)
  }, 30_000)
})
