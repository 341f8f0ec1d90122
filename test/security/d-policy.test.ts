import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalArguments, canonicalPath } from '../../src/enforcement/canonical-arguments.js'
import { RPC } from '../../src/gateway/index.js'
import { rpcError } from '../fakes/gateway.js'
import { type Secured, startSecured, WORKSPACE_POLICY } from './fixture.js'

/** Catalogue section D: policy decisions and fail-closed behaviour (../shared/research/attacks.md). */

const denied = async (promise: Promise<unknown>) => expect((await rpcError(promise)).code).toBe(RPC.DENIED)

describe('PO-01 policy engine unavailable: every governed call is denied, UP sees nothing', () => {
  it('denies every call when Warden starts on a policy set that does not parse, and serves once it is fixed', async () => {
    const s = await startSecured({ policies: { 'broken.cedar': 'permit (principal, action, resource' } })
    try {
      const client = await s.client()
      await denied(client.callTool({ name: 'echo', arguments: { text: 'hi' } }))
      const events = await s.t.warden.chain.query({ task: s.task.taskId, kind: 'decision' })
      expect(events.at(-1)?.body).toMatchObject({ effect: 'deny' })
      expect(events.at(-1)?.body.errors).not.toEqual([])
      expect(s.up.calls()).toEqual([])
      // Positive control: the same call once a valid set loads.
      const dir = (await (await s.t.request('GET', '/v1/policies')).json()) as { dir: string }
      const { writeFileSync, rmSync } = await import('node:fs')
      rmSync(`${dir.dir}/broken.cedar`)
      writeFileSync(`${dir.dir}/workspace.cedar`, WORKSPACE_POLICY)
      expect((await s.t.request('POST', '/v1/policies/reload')).status).toBe(200)
      expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({
        content: [{ text: 'hi' }],
      })
      expect(s.up.calls()).toEqual([{ tool: 'echo', args: { text: 'hi' } }])
    } finally {
      await s.close()
    }
  })
})

describe('PO-02 a forbid that errors at evaluation', () => {
  let s: Secured
  let client: Client
  beforeAll(async () => {
    s = await startSecured()
    client = await s.client()
  })
  afterAll(() => s?.close())

  it('refuses at load a set whose forbid reads an attribute the schema lacks; the last good set keeps serving', async () => {
    const dir = ((await (await s.t.request('GET', '/v1/policies')).json()) as { dir: string }).dir
    const { writeFileSync, rmSync } = await import('node:fs')
    writeFileSync(
      `${dir}/erroring.cedar`,
      'permit (principal, action in Warden::Action::"call_tool", resource);\n' +
        'forbid (principal, action, resource) when { resource.owner != principal };\n',
    )
    const refused = await s.t.request('POST', '/v1/policies/reload')
    rmSync(`${dir}/erroring.cedar`)
    expect(refused.status).toBe(400)
    // The blanket permit never took effect: delete_file is still forbidden, UP sees nothing.
    await denied(client.callTool({ name: 'delete_file', arguments: { path: '/workspace/a' } }))
    expect(s.up.calls()).toEqual([])
  })

  it('denies when a forbid errors at run time (a Long overflow), where the permit alone allows', async () => {
    const dir = ((await (await s.t.request('GET', '/v1/policies')).json()) as { dir: string }).dir
    const { writeFileSync, rmSync } = await import('node:fs')
    writeFileSync(
      `${dir}/runtime-error.cedar`,
      'forbid (principal, action == Warden::files::Action::"echo", resource)\n' +
        'when { context.input.text == "boom" && context.now.epoch * 10000000000000 > 0 };\n',
    )
    expect((await s.t.request('POST', '/v1/policies/reload')).status).toBe(200)
    try {
      // Positive control: a value for which the forbid evaluates (to false) is allowed.
      await client.callTool({ name: 'echo', arguments: { text: 'fine' } })
      expect(s.up.calls()).toEqual([{ tool: 'echo', args: { text: 'fine' } }])
      // The forbid overflows a Long: Cedar skips it and the permit would win; Warden denies.
      const error = await rpcError(client.callTool({ name: 'echo', arguments: { text: 'boom' } }))
      expect(error.code).toBe(RPC.DENIED)
      expect((error.data as { errors: string[] }).errors.join(' ')).toContain('runtime-error.cedar')
      expect(s.up.calls()).toHaveLength(1)
    } finally {
      rmSync(`${dir}/runtime-error.cedar`)
      await s.t.request('POST', '/v1/policies/reload')
    }
  })
})

describe('PO-03 empty, partial or concurrent policy updates', () => {
  let s: Secured
  let client: Client
  let dir: string
  beforeAll(async () => {
    s = await startSecured()
    client = await s.client()
    dir = ((await (await s.t.request('GET', '/v1/policies')).json()) as { dir: string }).dir
  })
  afterAll(() => s?.close())

  it('rejects a set with one syntax error among 50 valid policies, or one failing the schema, whole; v1 stays', async () => {
    const { writeFileSync, rmSync } = await import('node:fs')
    const valid = Array.from(
      { length: 50 },
      (_, i) => `@id("p${i}")\npermit (principal, action == Warden::Action::"list", resource);\n`,
    ).join('')
    for (const broken of [
      'permit (principal, action, resource',
      'permit (principal, action, resource) when { context.nope };',
    ]) {
      writeFileSync(`${dir}/v2.cedar`, `${valid}${broken}\n`)
      const res = await s.t.request('POST', '/v1/policies/reload')
      rmSync(`${dir}/v2.cedar`)
      expect(res.status).toBe(400)
      expect((await res.json()) as { ok: boolean }).toMatchObject({ ok: false })
      // v1 still decides: echo allowed, delete forbidden.
      await client.callTool({ name: 'echo', arguments: { text: 'v1' } })
      await denied(client.callTool({ name: 'delete_file', arguments: { path: '/workspace/x' } }))
    }
    expect(s.up.calls().map((c) => c.tool)).toEqual(['echo', 'echo'])
  })

  it('refuses a set that permits nothing and keeps deciding under the last good one (#23)', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs')
    const original = readFileSync(`${dir}/workspace.cedar`, 'utf8')
    writeFileSync(`${dir}/workspace.cedar`, '// nothing\n')
    try {
      const res = await s.t.request('POST', '/v1/policies/reload')
      expect(res.status).toBe(400)
      expect(JSON.stringify(await res.json())).toContain('allows nothing')
      // The last good set still decides: an allowed call goes through, a forbidden one does not.
      await client.callTool({ name: 'echo', arguments: { text: 'still v1' } })
      await denied(client.callTool({ name: 'delete_file', arguments: { path: '/workspace/x' } }))
    } finally {
      writeFileSync(`${dir}/workspace.cedar`, original)
      expect((await s.t.request('POST', '/v1/policies/reload')).status).toBe(200)
    }
    await client.callTool({ name: 'echo', arguments: { text: 'back' } })
  })

  it('decides every call under exactly v1 or v2 while the two swap, and records which', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs')
    const v1 = readFileSync(`${dir}/workspace.cedar`, 'utf8')
    const v2 = `${v1}\n@id("v2-marker")\nforbid (principal, action == Warden::files::Action::"slow", resource);\n`
    const versions = new Set<string>()
    const calls: Promise<unknown>[] = []
    for (let round = 0; round < 6; round++) {
      writeFileSync(`${dir}/workspace.cedar`, round % 2 ? v1 : v2)
      const res = (await (await s.t.request('POST', '/v1/policies/reload')).json()) as { version: string }
      versions.add(res.version)
      for (let i = 0; i < 5; i++)
        calls.push(client.callTool({ name: 'echo', arguments: { text: `r${round}` } }))
    }
    await Promise.all(calls)
    writeFileSync(`${dir}/workspace.cedar`, v1)
    await s.t.request('POST', '/v1/policies/reload')
    const decisions = await s.t.warden.chain.query({ task: s.task.taskId, kind: 'decision', limit: 1000 })
    const recent = decisions.slice(-30).map((event) => event.body.policyVersion as string | null)
    expect(recent.every((version) => version !== null && versions.has(version))).toBe(true)
  })
})

describe('PO-04 principal or context injection', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s?.close())

  it('takes the principal from the verified token only: injected names are data, the record names the real instance', async () => {
    const admin = await s.newAgent('admin-agent')
    const fetchAs = s.agent.gatewayFetch(s.task, `${s.url}/mcp/files`)
    const injected = {
      'x-forwarded-user': admin.agent.spiffeId,
      'x-spiffe-id': admin.agent.spiffeId,
      'x-warden-agent': 'admin-agent',
    }
    const client = await s.client()
    // Positive control: the plain call.
    await client.callTool({ name: 'read_file', arguments: { path: '/workspace/a' } })
    // `_meta.principal` and an injected argument are data: they change nothing.
    await client.callTool({
      name: 'read_file',
      arguments: { path: '/workspace/b' },
      _meta: { principal: admin.agent.spiffeId },
    })
    await client.callTool({
      name: 'read_file',
      arguments: { path: '/workspace/c', principal: admin.agent.spiffeId },
    })
    await denied(
      client.callTool({ name: 'read_file"); permit(principal, action, resource);//', arguments: {} }),
    )
    // Headers on a raw request: the session is the reader's, whatever they claim.
    const init = await fetchAs(`${s.url}/mcp/files`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...injected,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    })
    expect(init.status).toBe(200)
    const records = await s.t.warden.chain.query({ kind: 'tool.call', limit: 1000 })
    expect(records.length).toBeGreaterThan(0)
    expect(records.every((event) => event.agent === s.agent.spiffeId)).toBe(true)
    expect(s.up.calls().map((c) => c.args.path)).toEqual(['/workspace/a', '/workspace/b', '/workspace/c'])
    expect(s.up.seen.every((seen) => !JSON.stringify(seen.headers).includes('admin-agent'))).toBe(true)
  })
})

describe('PO-05 canonicalisation bypass of a forbid or an allow-list', () => {
  let s: Secured
  let client: Client
  beforeAll(async () => {
    s = await startSecured()
    client = await s.client()
  })
  afterAll(() => s?.close())

  it('allows a path under /workspace/ and forwards it as decided (positive control)', async () => {
    await client.callTool({ name: 'read_file', arguments: { path: '/workspace/notes.txt' } })
    // A non-canonical path that stays inside: decided, recorded and forwarded in its canonical form.
    await client.callTool({ name: 'read_file', arguments: { path: '/workspace/./docs//plan.txt' } })
    expect(s.up.calls().map((c) => c.args.path)).toEqual(['/workspace/notes.txt', '/workspace/docs/plan.txt'])
    const recorded = await s.t.warden.chain.query({ task: s.task.taskId, kind: 'tool.call', limit: 1000 })
    expect(recorded.at(-1)?.body.args).toEqual({ path: '/workspace/docs/plan.txt' })
  })

  it.each([
    '/workspace/../etc/passwd',
    '/workspace/%2e%2e/etc/passwd',
    '/workspace/%2E%2E%2Fetc%2Fpasswd',
    '/workspace//../etc/passwd',
    '/workspace\\..\\etc\\passwd',
    '/workspace/./../etc/passwd',
    '/workspace/docs/../../etc/passwd',
    '/etc/../etc/passwd',
    '//etc/passwd',
    '/workspace-evil/secret',
    '/workspace/\u0000/../../etc/passwd',
    '/workspace/\u200d../etc/passwd',
    '/workspace/\uff0e\uff0e/etc/passwd',
    '/workspace/..\uff0fetc/passwd',
    'file:///workspace/../etc/passwd',
    '../etc/passwd',
  ])('never forwards %j', async (path) => {
    const before = s.up.calls().length
    await denied(client.callTool({ name: 'read_file', arguments: { path } }))
    expect(s.up.calls()).toHaveLength(before)
  })

  it.each([
    'DELETE_FILE',
    'Delete_File',
    'delete_file ',
    'delete\u200dfile',
    'ｄelete_file',
    'delete_file\u0000',
  ])('falls to default deny for the tool name %j', async (name) => {
    const before = s.up.calls().length
    await denied(client.callTool({ name, arguments: { path: '/workspace/a' } }))
    expect(s.up.calls()).toHaveLength(before)
  })

  it('canonicalises every path argument by name, at any depth, and leaves other text alone', () => {
    expect(
      canonicalArguments({
        path: '/a/./b/../c',
        paths: ['/x//y', 'rel/./z'],
        options: { targetDir: 'C:\\work\\..\\tmp', note: '/a/../b' },
        source: '~/docs/./a',
        content: '../../not/a/path',
      }),
    ).toEqual({
      ok: true,
      args: {
        path: '/a/c',
        paths: ['/x/y', 'rel/z'],
        options: { targetDir: 'C:/tmp', note: '/a/../b' },
        source: '~/docs/a',
        content: '../../not/a/path',
      },
      changed: ['path', 'paths[0]', 'paths[1]', 'options.targetDir', 'source'],
    })
    expect(
      canonicalArguments({ uri: 'file:///workspace/../etc/passwd', url: 'https://x.example/a/../b' }),
    ).toEqual({
      ok: true,
      args: { uri: 'file:///etc/passwd', url: 'https://x.example/a/../b' },
      changed: ['uri'],
    })
    expect(canonicalPath('/..')).toEqual({ ok: true, path: '/' })
    expect(canonicalPath('~/../root')).toMatchObject({ ok: false })
    expect(canonicalPath('/workspace/')).toEqual({ ok: true, path: '/workspace/' })
  })

  it('gives the decision API caller the canonical arguments to forward, and refuses a non-canonical file URI', async () => {
    const decide = (body: unknown) =>
      s.agent.call<{ effect: string; args?: unknown; errors: string[] }>('POST', '/v1/authorize', {
        token: s.task.token,
        body,
      })
    const allowed = await decide({
      action: 'tools/call',
      server: 'files',
      tool: 'read_file',
      args: { path: '/workspace/./a//b' },
    })
    expect(allowed).toMatchObject({ effect: 'allow', args: { path: '/workspace/a/b' } })
    const resource = await decide({
      action: 'resources/read',
      server: 'files',
      uri: 'file:///workspace/../etc/passwd',
    })
    expect(resource.effect).toBe('deny')
    expect(resource.errors.join(' ')).toContain('canonical')
  })

  it.todo(
    '`/workspace/link` where the link points to `/etc`: the upstream resolves links on its own filesystem, which Warden cannot see; run filesystem upstreams with their own root confinement',
  )
})

describe('PO-06 decision semantics: order and duplicate independence', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s?.close())

  it('decides the same whatever the order of policies, with duplicates, and forbid trumps permit', async () => {
    const dir = ((await (await s.t.request('GET', '/v1/policies')).json()) as { dir: string }).dir
    const { writeFileSync } = await import('node:fs')
    const policies = WORKSPACE_POLICY.split(/\n(?=@id)/).filter((p) => p.trim().length > 0)
    const paths = ['/workspace/a', '/etc/passwd', '/workspace/../etc/x', '/tmp/b', '/etc/../workspace/c']
    const decide = async () => {
      const results: string[] = []
      for (const path of paths) {
        for (const tool of ['read_file', 'delete_file']) {
          const res = await s.agent.call<{ effect: string }>('POST', '/v1/authorize', {
            token: s.task.token,
            body: { action: 'tools/call', server: 'files', tool, args: { path } },
          })
          results.push(`${tool} ${path} ${res.effect}`)
        }
      }
      return results
    }
    const reference = await decide()
    expect(reference).toContain('read_file /workspace/a allow')
    expect(reference).toContain('read_file /etc/passwd deny')
    expect(reference).toContain('delete_file /workspace/a deny')
    for (const order of [
      [...policies].reverse(),
      [...policies, ...policies.map((p) => p.replace(/@id\("([^"]+)"\)/, '@id("$1-dup")'))],
    ]) {
      writeFileSync(`${dir}/workspace.cedar`, order.join('\n'))
      expect((await s.t.request('POST', '/v1/policies/reload')).status).toBe(200)
      expect(await decide()).toEqual(reference)
    }
  })

  it.todo(
    'differential test against the `cedar authorize` CLI on 10k generated requests: the Cedar CLI is not installed here',
  )
})
