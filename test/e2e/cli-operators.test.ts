import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, startServe } from '../fakes/process.js'

describe('warden operator', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-operators-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('adds a person with a role, acts as them with $WARDEN_TOKEN, and revokes them', async () => {
    const server = await startServe(['--data', join(root, 'data')], { WARDEN_ADMIN_TOKEN: 'cli-admin' })
    const admin = { WARDEN_ADMIN_TOKEN: 'cli-admin', WARDEN_URL: server.url }
    try {
      const added = await runCli(['operator', 'add', 'dana', '--role', 'approver', '--field', 'token'], admin)
      expect(added.code, added.stderr).toBe(0)
      const token = added.stdout.trim()
      expect(token).toMatch(/^wop_/)
      // $WARDEN_TOKEN wins over $WARDEN_ADMIN_TOKEN: the call is dana's, with dana's role.
      const dana = { ...admin, WARDEN_TOKEN: token }
      expect((await runCli(['operator', 'whoami', '--field', 'name'], dana)).stdout.trim()).toBe('dana')
      expect((await runCli(['agent', 'list'], dana)).code).toBe(0)
      const register = ['agent', 'register', 'x', '--owner', 'o@example.com', '--tier', 'low']
      expect((await runCli(register, dana)).code).toBe(6)
      expect((await runCli(register, admin)).code).toBe(0)

      const listed = await runCli(['operator', 'list', '-o', 'json'], admin)
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ name: 'dana', role: 'approver', createdBy: 'admin', revokedAt: null }),
      ])
      expect(listed.stdout).not.toContain(token)
      expect((await runCli(['operator', 'revoke', 'dana'], admin)).code).toBe(0)
      expect((await runCli(['operator', 'whoami'], dana)).code).toBe(3)
      expect((await runCli(['operator', 'add', 'eve', '--role', 'root'], admin)).code).toBe(2)
    } finally {
      await server.stop()
    }
  }, 120_000)
})
