import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { WardenAgent } from '../../src/sdk/index.js'
import { mcpClient } from '../fakes/gateway.js'
import { runCli, startServe } from '../fakes/process.js'

const FILESYSTEM = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js', import.meta.url),
)

describe('warden serve shutdown', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-shutdown-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('exits within server.shutdownTimeout on SIGTERM with an MCP client connected, the chain intact', async () => {
    const data = join(root, 'data')
    const config = join(root, 'warden.yaml')
    writeFileSync(join(root, 'notes.txt'), 'x')
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: data,
        server: { shutdownTimeout: '4s' },
        policy: { watch: false },
        upstreams: { files: { command: ['node', FILESYSTEM, root] } },
      }),
    )
    const env = { WARDEN_ADMIN_TOKEN: 'shutdown-admin' }
    const server = await startServe(['--config', config], env)
    const cli = { ...env, WARDEN_URL: server.url }
    try {
      const registered = await runCli(
        [
          'agent',
          'register',
          'idle-bot',
          '--owner',
          'ops@example.com',
          '--tier',
          'low',
          '--entitle',
          'read_text_file',
        ],
        cli,
      )
      expect(registered.code, registered.stderr).toBe(0)
      const token = (await runCli(['agent', 'join-token', 'idle-bot', '--field', 'token'], cli)).stdout.trim()
      const agent = await WardenAgent.attest(server.url, { method: 'join_token', token })
      const task = await agent.openTask({
        purpose: 'idle',
        prompt: 'read notes.txt',
        tools: ['read_text_file'],
      })
      // A connected client: its session and its server-sent event stream stay open.
      const client = await mcpClient(`${server.url}/mcp/files`, agent, task)
      await client.listTools()

      const exited = once(server.child, 'exit') as Promise<[number | null]>
      server.child.kill('SIGTERM')
      // The deadline is 4 s; the process must be gone well before the test's own guard kills it.
      const guard = setTimeout(() => server.child.kill('SIGKILL'), 15_000)
      const [code] = await exited
      clearTimeout(guard)
      expect(code, server.stderr()).toBe(0)
      expect(server.stderr()).toContain('"msg":"stopped"')
      await client.close().catch(() => undefined)
    } finally {
      await server.stop('SIGKILL')
    }
    const verified = await runCli(['chain', 'verify', '--data', data])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    expect(verified.stdout).toMatch(/chain intact: \d+ records, head seq \d+ .*, [1-9]\d* signed checkpoints/)
  }, 60_000)

  it('exits at once on a second signal', async () => {
    const data = join(root, 'data-2')
    const server = await startServe(['--data', data], { WARDEN_ADMIN_TOKEN: 'x' })
    // Back to back: the second arrives while the first shutdown is still flushing the chain.
    server.child.kill('SIGTERM')
    server.child.kill('SIGINT')
    const [code] = (await once(server.child, 'exit')) as [number | null]
    expect(code).toBe(1)
    expect(server.stderr()).toContain('second signal')
  }, 30_000)
})
