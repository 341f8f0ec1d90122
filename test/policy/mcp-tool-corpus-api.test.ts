import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type CatalogTool, ToolCatalog, toolDigest } from '../../src/catalog/index.js'
import { systemClock } from '../../src/kernel/index.js'
import { ArgumentValidator } from '../../src/policy/index.js'
import { migrate, openStore } from '../../src/store/index.js'
import { type Attested, attestWithJoinToken, registerAgent } from '../fakes/identity.js'
import { type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'
import { corpusTools, invalidCall, readCorpus, validCall } from './mcp-tool-corpus.js'

// The corpus through a whole Warden: the catalog pins every tool, and `/v1/authorize` (the enforcement pipeline,
// with the chain) allows a generated valid call of each and records it, and denies an invalid one with the
// validation error.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 })

const corpus = readCorpus()
const tools = corpusTools(corpus)
const validator = new ArgumentValidator()
const names = [...new Set(tools.map((tool) => tool.name))]

describe('every corpus tool through the catalog and the decision API', () => {
  let dataDir: string
  let t: TestWarden
  let agent: Attested
  let task: OpenedTask

  async function authorize(tool: CatalogTool, args: Record<string, unknown>) {
    const url = `${BASE}/v1/authorize`
    const res = await t.request('POST', '/v1/authorize', {
      body: { action: 'tools/call', server: tool.server, tool: tool.name, args },
      headers: {
        authorization: `DPoP ${task.token}`,
        dpop: await agent.key.proof('POST', url, { accessToken: task.token }),
      },
      admin: false,
    })
    expect(res.status).toBe(200)
    return (await res.json()) as { effect: string; errors: string[]; decisionId: string }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'warden-corpus-'))
    // The catalog is filled before Warden starts: each sync of a running Warden reloads the policy set, and a
    // schema of every corpus tool takes seconds to build.
    const store = openStore({ kind: 'sqlite' }, dataDir)
    await migrate(store, Date.now())
    const catalog = new ToolCatalog(store, systemClock)
    for (const { server, tools: definitions } of corpus) {
      const first = await catalog.sync(server, definitions)
      expect(first.added).toHaveLength(definitions.length)
      const again = await catalog.sync(server, definitions)
      expect(again.unchanged).toHaveLength(definitions.length)
    }
    await store.close()
    const policies = join(dataDir, 'policies')
    mkdirSync(policies)
    writeFileSync(join(policies, 'permit.cedar'), '@id("all") permit (principal, action, resource);\n')
    t = await startTestWarden({ policy: { dir: policies } }, { dataDir })
    expect(t.warden.policy.engine.problems).toEqual([])
    await registerAgent(t, 'corpus', { entitlements: names })
    agent = await attestWithJoinToken(t, 'corpus')
    const opened = await openTask(t, agent, { purpose: 'call every tool of the corpus', tools: names })
    expect(opened.status).toBe(201)
    task = (await opened.json()) as OpenedTask
  })

  afterAll(async () => {
    await t?.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('pins every tool as listed', async () => {
    const listed = (await (await t.request('GET', '/v1/tools')).json()) as {
      tools: Array<{ server: string; name: string; digest: string; status: string }>
    }
    expect(listed.tools).toHaveLength(tools.length)
    for (const tool of tools) {
      const pinned = listed.tools.find((row) => row.server === tool.server && row.name === tool.name)
      expect(pinned).toMatchObject({ status: 'approved', digest: toolDigest(tool.definition) })
    }
  })

  it('allows a generated valid call of every tool and records its decision; denies an invalid one', async () => {
    const failures: string[] = []
    const allowed: string[] = []
    for (const tool of tools) {
      const valid = validCall(tool, validator)
      const decision = await authorize(tool, valid)
      if (decision.effect !== 'allow')
        failures.push(`${tool.server}/${tool.name}: ${JSON.stringify(decision)}`)
      else allowed.push(decision.decisionId)
      const invalid = invalidCall(tool, valid, validator)
      if (!invalid) continue
      const denied = await authorize(tool, invalid)
      if (denied.effect !== 'deny' || !/^arguments do not match the schema/.test(denied.errors[0] ?? ''))
        failures.push(`${tool.server}/${tool.name} (invalid): ${JSON.stringify(denied)}`)
    }
    expect(failures).toEqual([])
    const chain = (await (
      await t.request('GET', `/v1/tasks/${task.taskId}/chain?kind=decision&limit=10000`)
    ).json()) as { events: Array<{ body: { decisionId: string; effect: string } }> }
    const recorded = new Set(chain.events.map((event) => event.body.decisionId))
    expect(allowed.filter((id) => !recorded.has(id))).toEqual([])
    expect(allowed).toHaveLength(tools.length)
  })
})
