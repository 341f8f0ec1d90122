import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, type ServeProcess, startServe } from '../fakes/process.js'

describe('warden owners webhook-secret', () => {
  let root: string
  let server: ServeProcess
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'warden-webhook-cli-'))
    const config = join(root, 'warden.yaml')
    writeFileSync(config, 'owners:\n  ops@example.com:\n    webhook: http://127.0.0.1:9/hook\n')
    server = await startServe(['--data', join(root, 'data'), '--config', config], {
      WARDEN_ADMIN_TOKEN: 'cli-test',
    })
    env = { WARDEN_ADMIN_TOKEN: 'cli-test' }
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('shows the secret once, refuses to show it again, and shows a new one on --rotate', async () => {
    const args = ['owners', 'webhook-secret', 'ops@example.com', '--url', server.url, '--field', 'secret']
    const first = await runCli(args, env)
    expect(first.code).toBe(0)
    expect(first.stdout.trim()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const again = await runCli(args, env)
    expect(again.code).toBe(6)
    expect(again.stderr).toContain('WEBHOOK_SECRET_SHOWN')
    expect(again.stdout).not.toContain('whsec_')
    const rotated = await runCli([...args, '--rotate'], env)
    expect(rotated.code).toBe(0)
    expect(rotated.stdout.trim()).toMatch(/^whsec_/)
    expect(rotated.stdout.trim()).not.toBe(first.stdout.trim())
    // An owner without a webhook in the config has no secret to show.
    expect(
      (await runCli(['owners', 'webhook-secret', 'nobody@example.com', '--url', server.url], env)).code,
    ).toBe(4)
  })
})
