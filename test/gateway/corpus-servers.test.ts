import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { type TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient, rpcError } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const MODULES = new URL('../../node_modules/@modelcontextprotocol/', import.meta.url).pathname
const CORPUS_SERVER = new URL('../fixtures/corpus-server.mjs', import.meta.url).pathname

const TOOLS = [
  'sequentialthinking',
  'create_entities',
  'read_graph',
  'write_file',
  'edit_file',
  'read_text_file',
  'create_or_update_file',
  'API-post-page',
]

// Each reads an argument of another shape: a Long, a set of records, a string in a nested record list, an
// untyped union (JSON text), and a root with no schema at all (GitLab's: the JSON text of every argument).
const POLICIES = `@id("all") permit (principal, action, resource);

@id("few-thoughts") forbid (principal, action == Warden::thinking::Action::"sequentialthinking", resource)
when { context.input.thoughtNumber > 3 };

@id("no-secret-entities") forbid (principal, action == Warden::memory::Action::"create_entities", resource)
when { context.input.entities.contains({ name: "root password", entityType: "secret", observations: ["hunter2"] }) };

@id("no-env-edits") forbid (principal, action == Warden::files::Action::"edit_file", resource)
when { context.input.path like "*.env" };

@id("no-workspace-pages") forbid (principal, action == Warden::notion::Action::"API-post-page", resource)
when { context.input.parent like "*\\"type\\":\\"workspace\\"*" };

@id("not-on-main") forbid (principal, action == Warden::gitlab::Action::"create_or_update_file", resource)
when { context.input like "*\\"branch\\":\\"main\\"*" };
`

describe('the gateway in front of real MCP servers of the corpus, over stdio', () => {
  let t: TestWarden
  let sandbox: string
  let url: string
  let stop: () => Promise<void>
  let agent: WardenAgent
  let task: TaskHandle
  const clients: Client[] = []
  const client = async (upstream: string) => {
    const opened = await mcpClient(`${url}/mcp/${upstream}`, agent, task)
    clients.push(opened)
    return opened
  }

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-corpus-servers-'))
    mkdirSync(join(sandbox, 'policies'))
    writeFileSync(join(sandbox, 'policies', 'shapes.cedar'), POLICIES)
    writeFileSync(join(sandbox, 'notes.md'), 'status: draft\n')
    t = await startTestWarden(
      {
        policy: { dir: join(sandbox, 'policies') },
        upstreams: {
          thinking: {
            command: ['node', `${MODULES}server-sequential-thinking/dist/index.js`],
            env: { DISABLE_THOUGHT_LOGGING: 'true' },
          },
          memory: {
            command: ['node', `${MODULES}server-memory/dist/index.js`],
            env: { MEMORY_FILE_PATH: join(sandbox, 'memory.jsonl') },
            kind: 'memory',
          },
          files: { command: ['node', `${MODULES}server-filesystem/dist/index.js`, sandbox] },
          // Their real tool lists, served as sent (they do nothing without an account).
          notion: { command: ['node', CORPUS_SERVER, 'notion'] },
          gitlab: { command: ['node', CORPUS_SERVER, 'gitlab'] },
        },
      },
      { clock: new ShiftedClock() }, // the SDK agent signs proofs with the real time
    )
    await t.warden.gateway.start()
    expect(t.warden.policy.engine.problems).toEqual([])
    ;({ url, close: stop } = await listen(t))
    await t.request('POST', '/v1/agents', {
      body: { name: 'scribe', owner: 'ops@example.com', tier: 'standard', entitlements: TOOLS },
    })
    const minted = (await (await t.request('POST', '/v1/agents/scribe/join-tokens')).json()) as {
      token: string
    }
    agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    task = await agent.openTask({ purpose: 'think, remember and write notes', tools: TOOLS })
  }, 120_000)

  afterAll(async () => {
    for (const opened of clients) await opened.close()
    await stop?.()
    await t?.dispose()
    rmSync(sandbox, { recursive: true, force: true })
  })

  it('thinks in steps through sequential-thinking, up to the policy’s limit, and checks the schema first', async () => {
    const thinking = await client('thinking')
    const { tools } = await thinking.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['sequentialthinking'])
    const step = { thought: 'outline the notes', nextThoughtNeeded: true, thoughtNumber: 1, totalThoughts: 2 }
    const result = await thinking.callTool({ name: 'sequentialthinking', arguments: step })
    expect(JSON.stringify(result.content)).toContain('thoughtNumber')
    // `nextThoughtNeeded` is boolean or string in the schema: untyped for policies, still passed through.
    const asText = await thinking.callTool({
      name: 'sequentialthinking',
      arguments: { ...step, thoughtNumber: 2, nextThoughtNeeded: 'false' },
    })
    expect(asText.isError).toBeFalsy()

    const tooMany = await rpcError(
      thinking.callTool({ name: 'sequentialthinking', arguments: { ...step, thoughtNumber: 4 } }),
    )
    expect(tooMany.code).toBe(RPC.DENIED)
    expect((tooMany.data as { reasons: string[] }).reasons).toEqual(['shapes.cedar#few-thoughts'])
    const invalid = await rpcError(
      thinking.callTool({ name: 'sequentialthinking', arguments: { thought: 'no counters' } }),
    )
    expect(invalid.code).toBe(RPC.DENIED)
    expect((invalid.data as { errors: string[] }).errors[0]).toMatch(
      /^arguments do not match the schema of `sequentialthinking`: \(root\) must have required property/,
    )
  })

  it('remembers entities (an array of objects) through memory, and stops the one a policy names', async () => {
    const memory = await client('memory')
    const entity = { name: 'release', entityType: 'event', observations: ['ships on Friday'] }
    await memory.callTool({ name: 'create_entities', arguments: { entities: [entity] } })
    const graph = await memory.callTool({ name: 'read_graph', arguments: {} })
    expect(JSON.stringify(graph)).toContain('ships on Friday')
    const secret = await rpcError(
      memory.callTool({
        name: 'create_entities',
        arguments: {
          entities: [entity, { name: 'root password', entityType: 'secret', observations: ['hunter2'] }],
        },
      }),
    )
    expect((secret.data as { reasons: string[] }).reasons).toEqual(['shapes.cedar#no-secret-entities'])
  })

  it('edits a file with a list of edits through filesystem, never a .env file', async () => {
    const files = await client('files')
    const path = join(sandbox, 'notes.md')
    await files.callTool({
      name: 'edit_file',
      arguments: { path, edits: [{ oldText: 'draft', newText: 'final' }], dryRun: false },
    })
    expect(readFileSync(path, 'utf8')).toBe('status: final\n')
    writeFileSync(join(sandbox, 'prod.env'), 'TOKEN=x\n')
    const env = await rpcError(
      files.callTool({
        name: 'edit_file',
        arguments: { path: join(sandbox, 'prod.env'), edits: [{ oldText: 'x', newText: 'y' }] },
      }),
    )
    expect((env.data as { reasons: string[] }).reasons).toEqual(['shapes.cedar#no-env-edits'])
    expect(readFileSync(join(sandbox, 'prod.env'), 'utf8')).toBe('TOKEN=x\n')
    const invalid = await rpcError(
      files.callTool({ name: 'edit_file', arguments: { path, edits: [{ oldText: 'final' }] } }),
    )
    expect((invalid.data as { errors: string[] }).errors[0]).toMatch(/\/edits\/0 must have required property/)
  })

  it('forwards Notion’s $ref/oneOf/const page calls and GitLab’s schema-less calls, deciding on their JSON text', async () => {
    const notion = await client('notion')
    expect((await notion.listTools()).tools.map((tool) => tool.name)).toEqual(['API-post-page'])
    const page = {
      parent: { page_id: '59833787-2cf9-4fdf-8782-e53db20768a5' },
      properties: { title: [{ text: { content: 'Release notes' } }] },
    }
    const posted = await notion.callTool({ name: 'API-post-page', arguments: page })
    expect(JSON.stringify(posted.content)).toContain('Release notes')
    const workspace = await rpcError(
      notion.callTool({ name: 'API-post-page', arguments: { ...page, parent: { type: 'workspace' } } }),
    )
    expect((workspace.data as { reasons: string[] }).reasons).toEqual(['shapes.cedar#no-workspace-pages'])

    // GitLab's root schemas have no `type` (MCP requires one): the agent's client still takes the list.
    const gitlab = await client('gitlab')
    const { tools } = await gitlab.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['create_or_update_file'])
    const file = { project_id: 'ops/notes', file_path: 'notes.md', content: 'final', commit_message: 'notes' }
    const committed = await gitlab.callTool({
      name: 'create_or_update_file',
      arguments: { ...file, branch: 'release' },
    })
    expect(JSON.stringify(committed.content)).toContain('ops/notes')
    const main = await rpcError(
      gitlab.callTool({ name: 'create_or_update_file', arguments: { ...file, branch: 'main' } }),
    )
    expect((main.data as { reasons: string[] }).reasons).toEqual(['shapes.cedar#not-on-main'])
  })

  it('records every call and decision of the session in the chain', async () => {
    const chain = (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?limit=1000`)).json()) as {
      events: Array<{ kind: string; body: { effect?: string } }>
    }
    const decisions = chain.events.filter((event) => event.kind === 'decision')
    expect(decisions.filter((event) => event.body.effect === 'deny')).toHaveLength(7)
    expect(decisions.filter((event) => event.body.effect === 'allow').length).toBeGreaterThanOrEqual(7)
    expect(chain.events.filter((event) => event.kind === 'tool.call').length).toBeGreaterThanOrEqual(14)
  })
})
