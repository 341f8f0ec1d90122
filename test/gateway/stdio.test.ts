import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client as ModernClient, ProtocolError } from '@modelcontextprotocol/client'
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen } from '../fakes/gateway.js'
import { CLI } from '../fakes/process.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const FILESYSTEM = new URL(
  '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
  import.meta.url,
).pathname

describe('warden gateway stdio', () => {
  let root: string
  let t: TestWarden
  let stop: () => Promise<void>

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'warden-stdio-'))
    writeFileSync(join(root, 'note.txt'), 'hello from the sandbox\n')
    writeFileSync(
      join(root, 'warden.yaml'),
      `upstreams:\n  files:\n    command: ["node", "${FILESYSTEM}", "${root}"]\n`,
    )
    t = await startTestWarden({}, { dataDir: join(root, 'data'), clock: new ShiftedClock() })
    ;({ close: stop } = await listen(t))
  })
  afterAll(async () => {
    await stop?.()
    await t?.dispose()
    rmSync(root, { recursive: true, force: true })
  })

  it('lets a local agent launch Warden as its MCP server, with the same decisions', async () => {
    const { url } = await listen(t)
    await t.request('POST', '/v1/agents', {
      body: {
        name: 'local',
        owner: 'dev@example.com',
        tier: 'high',
        entitlements: ['read_text_file', 'list_directory'],
      },
    })
    const minted = (await (await t.request('POST', '/v1/agents/local/join-tokens')).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const credential = join(root, 'local.credential.json')
    writeFileSync(credential, JSON.stringify(agent.toCredential()), { mode: 0o600 })
    const task = await agent.openTask({ purpose: 'read a note', tools: ['read_text_file'] })

    const client = new Client({ name: 'local-agent', version: '1.0.0' })
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          CLI,
          'gateway',
          'stdio',
          '--upstream',
          'files',
          '--config',
          join(root, 'warden.yaml'),
          '--data',
          join(root, 'data'),
        ],
        env: { PATH: process.env.PATH ?? '', WARDEN_TASK_TOKEN: task.token, WARDEN_CREDENTIAL: credential },
        stderr: 'pipe',
      }),
    )
    try {
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name)).toEqual(['read_text_file'])
      const read = await client.callTool({
        name: 'read_text_file',
        arguments: { path: join(root, 'note.txt') },
      })
      expect(JSON.stringify(read.content)).toContain('hello from the sandbox')
      const denied = await client
        .callTool({ name: 'list_directory', arguments: { path: root } })
        .catch((e: unknown) => e)
      expect((denied as McpError).code).toBe(RPC.DENIED)
      // The token was verified once at launch; closing the task still stops the very next call.
      await agent.closeTask(task)
      const afterClose = await client
        .callTool({ name: 'read_text_file', arguments: { path: join(root, 'note.txt') } })
        .catch((e: unknown) => e)
      expect(String((afterClose as McpError).message)).toContain('has ended')
    } finally {
      await client.close()
    }
  }, 30_000)

  it('serves a 2026-07-28 client over stdio statelessly, with the same decisions', async () => {
    const { url } = await listen(t)
    await t.request('POST', '/v1/agents', {
      body: {
        name: 'local-modern',
        owner: 'dev@example.com',
        tier: 'high',
        entitlements: ['read_text_file', 'list_directory'],
      },
    })
    const minted = (await (await t.request('POST', '/v1/agents/local-modern/join-tokens')).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const credential = join(root, 'local-modern.credential.json')
    writeFileSync(credential, JSON.stringify(agent.toCredential()), { mode: 0o600 })
    const task = await agent.openTask({ purpose: 'read a note', tools: ['read_text_file'] })
    const client = new ModernClient(
      { name: 'modern-local-agent', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await client.connect(
      new ModernStdioTransport({
        command: process.execPath,
        args: [
          CLI,
          'gateway',
          'stdio',
          '--upstream',
          'files',
          '--config',
          join(root, 'warden.yaml'),
          '--data',
          join(root, 'data'),
        ],
        env: { PATH: process.env.PATH ?? '', WARDEN_TASK_TOKEN: task.token, WARDEN_CREDENTIAL: credential },
        stderr: 'pipe',
      }),
    )
    const code = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ProtocolError)
      return (error as ProtocolError).code
    }
    try {
      // No `initialize`: the revision was found with `server/discover`, answered by Warden.
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28')
      expect(client.getDiscoverResult()?.supportedVersions).toEqual(['2026-07-28'])
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name)).toEqual(['read_text_file'])
      const read = await client.callTool({
        name: 'read_text_file',
        arguments: { path: join(root, 'note.txt') },
      })
      expect(JSON.stringify(read.content)).toContain('hello from the sandbox')
      expect(await code(client.callTool({ name: 'list_directory', arguments: { path: root } }))).toBe(
        RPC.DENIED,
      )
      await agent.closeTask(task)
      const after = client.callTool({ name: 'read_text_file', arguments: { path: join(root, 'note.txt') } })
      expect(await code(after)).toBe(-32603)
    } finally {
      await client.close()
    }
    // The same records as over HTTP: the list, the allowed read and the denial, each decided and recorded.
    const events = await t.warden.chain.query({ task: task.taskId })
    const calls = events
      .filter((e) => e.kind === 'tool.call')
      .map((e) => `${e.body.action} ${e.body.tool ?? ''}`)
    const decisions = events.filter((e) => e.kind === 'decision').map((e) => e.body.effect)
    expect(calls).toEqual(['tools/list ', 'tools/call read_text_file', 'tools/call list_directory'])
    expect(decisions).toEqual(['allow', 'allow', 'deny'])
  }, 30_000)
})
