import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { WardenAgent } from '../../src/sdk/index.js'
import { WallClock } from '../fakes/clock.js'
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
    t = await startTestWarden({}, { dataDir: join(root, 'data'), clock: new WallClock() })
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
})
