import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { commandPath, leafCommands } from '../../src/cli/output.js'
import { buildProgram } from '../../src/cli/program.js'
import { CLI, runCli, startServe } from '../fakes/process.js'

describe('the warden CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-cli-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('describes every command, and gives every data command -o table|json', () => {
    const program = buildProgram()
    const missing = leafCommands(program)
      .filter((c) => !c.description())
      .map(commandPath)
    expect(missing).toEqual([])
    const withoutOutput = leafCommands(program)
      .filter((c) => !c.options.some((o) => o.long === '--output'))
      .map(commandPath)
    expect(withoutOutput.sort()).toEqual([
      'chain export',
      'chain public-key',
      'demo',
      'gateway stdio',
      'replay',
      'serve',
    ])
  })

  it('prints its version, and tells usage errors (2) from unreachable servers (5)', async () => {
    const version = await runCli(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    expect((await runCli(['no-such-command'])).code).toBe(2)
    expect((await runCli(['agent', 'list', '--no-such-option'])).code).toBe(2)
    expect((await runCli(['agent', 'list', '-o', 'yaml'])).code).toBe(2)
    const down = await runCli(['agent', 'list'], { WARDEN_URL: 'http://127.0.0.1:9' })
    expect(down.code).toBe(5)
    expect(down.stderr).toContain('cannot reach warden')
  })

  it('validates a config without creating anything, naming the bad key (exit 1)', async () => {
    const data = join(root, 'never-created')
    const bad = join(root, 'bad.yaml')
    writeFileSync(bad, `dataDir: ${data}\nserver: { port: 99999 }\n`)
    const result = await runCli(['config', 'validate', bad])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('server.port')
    const started = await runCli(['serve', '--config', bad])
    expect(started.code).toBe(1)
    expect(existsSync(data)).toBe(false)
    const good = join(root, 'good.yaml')
    writeFileSync(good, `dataDir: ${data}\n`)
    expect((await runCli(['config', 'validate', good])).code).toBe(0)
    expect(existsSync(data)).toBe(false)
  })

  it('names the line of a bad trace, and reports an unknown task as not found (4)', async () => {
    const traces = join(root, 'bad.jsonl')
    writeFileSync(
      traces,
      '\n{"id":"ok","agent":{"name":"a"},"intent":{},"tools":[],"events":[]}\n{not json\n',
    )
    const replayed = await runCli(['replay', traces, '--out', join(root, 'out.jsonl')])
    expect(replayed.code).toBe(1)
    expect(replayed.stderr).toContain('bad.jsonl:3:')
    const data = join(root, 'data')
    const server = await startServe(['--data', data], { WARDEN_ADMIN_TOKEN: 'cli-test' })
    const env = { WARDEN_ADMIN_TOKEN: 'cli-test', WARDEN_URL: server.url }
    try {
      expect((await runCli(['agent', 'show', 'nobody'], env)).code).toBe(4)
      expect(
        (await runCli(['agent', 'list'], { WARDEN_URL: server.url, WARDEN_ADMIN_TOKEN: 'wrong' })).code,
      ).toBe(3)

      // Update, removal, and the kill switch.
      const register = (name: string) =>
        runCli(
          [
            'agent',
            'register',
            name,
            '--owner',
            'ops@example.com',
            '--tier',
            'low',
            '--entitle',
            'read_file',
          ],
          env,
        )
      expect((await register('alpha')).code).toBe(0)
      expect((await register('beta')).code).toBe(0)
      const updated = await runCli(['agent', 'update', 'alpha', '--tier', 'high', '--field', 'tier'], env)
      expect(updated.stdout.trim()).toBe('high')
      expect((await runCli(['agent', 'remove', 'beta'], env)).code).toBe(0)
      expect((await runCli(['agent', 'show', 'beta'], env)).code).toBe(4)
      const token = (await runCli(['agent', 'join-token', 'alpha', '--field', 'token'], env)).stdout.trim()
      const cred = join(root, 'alpha.cred.json')
      expect((await runCli(['attest', '--join-token', token, '--out', cred], env)).code).toBe(0)
      const task = await runCli(
        ['task', 'open', '--credential', cred, '--purpose', 'work', '--field', 'taskId'],
        env,
      )
      expect(task.code, task.stderr).toBe(0)
      // An agent that ran cannot be removed (refused, 6): the chain names it.
      expect((await runCli(['agent', 'remove', 'alpha'], env)).code).toBe(6)
      expect((await runCli(['agent', 'disable', '--all'], env)).code).toBe(2)
      const killed = await runCli(
        ['agents', 'disable', '--all', '--reason', 'incident 42', '-o', 'json'],
        env,
      )
      expect(killed.code, killed.stderr).toBe(0)
      expect(JSON.parse(killed.stdout)).toEqual({ disabled: ['alpha'], closed: [task.stdout.trim()] })
      const shown = JSON.parse((await runCli(['task', 'show', task.stdout.trim()], env)).stdout) as {
        status: string
      }
      expect(shown.status).toBe('closed')
      // Tables print times as ISO-8601.
      const table = await runCli(['task', 'list'], env)
      expect(table.stdout).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/)
    } finally {
      await server.stop()
    }
    const unknown = await runCli(['chain', 'show', 'no-such-task', '--data', data])
    expect(unknown.code).toBe(4)
  }, 120_000)

  it('stops quietly when the reader of `chain export` goes away', async () => {
    const data = join(root, 'data')
    const child = spawn(
      `node ${JSON.stringify(CLI)} chain export --data ${JSON.stringify(data)} | head -n 1`,
      {
        shell: '/bin/bash',
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(0)
    expect(stderr).not.toContain('EPIPE')
  }, 30_000)
})
