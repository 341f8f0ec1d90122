import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InstanceKey } from '../fakes/instance-key.js'
import { runCli, startServe } from '../fakes/process.js'

describe('warden serve', () => {
  let dataDir: string
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warden-serve-'))
  })
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('prints a generated admin token once, serves attestation over HTTP, and stops cleanly on SIGTERM', async () => {
    const first = await startServe(['--data', dataDir])
    const token = /WARDEN_ADMIN_TOKEN=(\S+)/.exec(first.stdout())?.[1]
    expect(token).toBeDefined()
    const env = { WARDEN_ADMIN_TOKEN: token as string, WARDEN_URL: first.url }

    const registered = await runCli(
      [
        'agent',
        'register',
        'billing',
        '--owner',
        'ops@example.com',
        '--tier',
        'high',
        '--entitle',
        'read_file,send_email',
      ],
      env,
    )
    expect(registered.code, registered.stderr).toBe(0)
    const minted = await runCli(['agent', 'join-token', 'billing'], env)
    const joinToken = (JSON.parse(minted.stdout) as { token: string }).token

    const key = await InstanceKey.generate()
    const res = await fetch(`${first.url}/v1/attest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        dpop: await key.proof('POST', `${first.url}/v1/attest`),
      },
      body: JSON.stringify({ method: 'join_token', token: joinToken, publicKey: key.publicJwk }),
    })
    expect(res.status).toBe(201)
    const { svid, spiffeId } = (await res.json()) as { svid: string; spiffeId: string }
    // A relying party needs nothing but Warden's JWKS endpoint.
    const jwks = createRemoteJWKSet(new URL(`${first.url}/.well-known/jwks.json`))
    const { payload } = await jwtVerify(svid, jwks, { audience: 'warden', issuer: 'spiffe://warden.local' })
    expect(payload.sub).toBe(spiffeId)

    const listed = await runCli(['instance', 'list', '--json'], env)
    expect((JSON.parse(listed.stdout) as Array<{ spiffeId: string }>).map((i) => i.spiffeId)).toEqual([
      spiffeId,
    ])

    expect(await first.stop('SIGTERM')).toBe(0)

    // Restart: nothing printed again, the same admin token works, and nothing was lost.
    const second = await startServe(['--data', dataDir])
    expect(second.stdout()).not.toContain('WARDEN_ADMIN_TOKEN')
    const agents = await runCli(['agent', 'list', '--json'], { ...env, WARDEN_URL: second.url })
    expect(agents.code, agents.stderr).toBe(0)
    expect((JSON.parse(agents.stdout) as Array<{ name: string }>).map((a) => a.name)).toEqual(['billing'])
    expect(await second.stop('SIGINT')).toBe(0)
  })

  it('runs an agent through the CLI: attest, open a task, list it, close it', async () => {
    const server = await startServe(['--data', dataDir], { WARDEN_ADMIN_TOKEN: 'cli-admin' })
    const env = { WARDEN_ADMIN_TOKEN: 'cli-admin', WARDEN_URL: server.url }
    try {
      await runCli(
        [
          'agent',
          'register',
          'reporter',
          '--owner',
          'r@example.com',
          '--tier',
          'standard',
          '--entitle',
          'search',
        ],
        env,
      )
      const token = (
        JSON.parse((await runCli(['agent', 'join-token', 'reporter'], env)).stdout) as { token: string }
      ).token
      const credential = join(dataDir, 'reporter.credential.json')
      const attested = await runCli(['attest', '--join-token', token, '--out', credential], {
        WARDEN_URL: server.url,
      })
      expect(attested.code, attested.stderr).toBe(0)
      expect(statSync(credential).mode & 0o777).toBe(0o600)
      const opened = await runCli(
        ['task', 'open', '--credential', credential, '--purpose', 'daily digest'],
        {},
      )
      expect(opened.code, opened.stderr).toBe(0)
      const task = JSON.parse(opened.stdout) as { taskId: string; token: string; scope: string[] }
      expect(task.scope).toEqual(['search'])
      const listed = await runCli(['task', 'list', '--status', 'open', '--json'], env)
      expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((t) => t.id)).toContain(task.taskId)
      const closed = await runCli(
        ['task', 'close', task.taskId, '--credential', credential, '--token', task.token],
        {},
      )
      expect(closed.code, closed.stderr).toBe(0)
      const shown = JSON.parse((await runCli(['task', 'show', task.taskId], env)).stdout) as {
        status: string
      }
      expect(shown.status).toBe('closed')
    } finally {
      await server.stop()
    }
  })

  it('refuses to start on a bad config value and names its key', async () => {
    const result = await runCli(['serve', '--data', dataDir, '--port', 'eighty'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('CONFIG_INVALID')
    expect(result.stderr).toContain('server.port')
  })

  it('reports a wrong admin token from the CLI with its code', async () => {
    const server = await startServe(['--data', dataDir], { WARDEN_ADMIN_TOKEN: 'right' })
    try {
      const result = await runCli(['agent', 'list'], { WARDEN_ADMIN_TOKEN: 'wrong', WARDEN_URL: server.url })
      expect(result.code).toBe(3)
      expect(result.stderr).toContain('UNAUTHENTICATED')
    } finally {
      await server.stop()
    }
  })
})
