import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient, rpcError } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const FILESYSTEM = new URL(
  '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
  import.meta.url,
).pathname

describe('the gateway under a rate limit', () => {
  let t: TestWarden
  let sandbox: string
  let url: string
  let stop: () => Promise<void>
  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-limited-'))
    writeFileSync(join(sandbox, 'a.txt'), 'alpha')
    t = await startTestWarden(
      {
        upstreams: { files: { command: ['node', FILESYSTEM, sandbox] } },
        limits: [{ per: 'agent', calls: 2, window: '1h', tools: ['read_text_file'] }],
      },
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

  it('answers the call over the limit with a JSON-RPC error saying when to retry, and forwards the others', async () => {
    await t.request('POST', '/v1/agents', {
      body: { name: 'reader', owner: 'r@example.com', tier: 'standard', entitlements: ['read_text_file'] },
    })
    const minted = (await (await t.request('POST', '/v1/agents/reader/join-tokens')).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const task = await agent.openTask({ purpose: 'read', tools: ['read_text_file'] })
    const files = await mcpClient(`${url}/mcp/files`, agent, task)
    const read = () => files.callTool({ name: 'read_text_file', arguments: { path: join(sandbox, 'a.txt') } })
    expect(JSON.stringify((await read()).content)).toContain('alpha')
    expect(JSON.stringify((await read()).content)).toContain('alpha')
    const error = await rpcError(read())
    expect(error.code).toBe(RPC.RATE_LIMITED)
    expect(error.data).toMatchObject({ code: 'RATE_LIMITED', per: 'agent', calls: 2 })
    expect((error.data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0)
    await files.close()
  }, 30_000)
})
