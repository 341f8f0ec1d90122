// `npm run conformance`: the official MCP conformance suite (server scenarios) through Warden's gateway.
//
// Starts the suite's fixture server, a Warden (temp data dir) with the fixture as its HTTP upstream `fixture`,
// registers a standard-tier agent entitled to every fixture tool, opens a task, and runs the suite against
// `/mcp/fixture` with the task token. Needs the tooling in `../shared/tools/mcp-conformance` (or
// $MCP_CONFORMANCE_TOOLS), whose setup installs Node 22 for the suite alone. Extra arguments go to the suite
// (e.g. `-- --scenario tools-call-simple-text`). Exit status: the suite's.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createApp } from '../dist/src/api/index.js'
import { composeWarden } from '../dist/src/compose.js'
import { configSchema } from '../dist/src/config/index.js'
import { WardenAgent } from '../dist/src/sdk/index.js'

const tools = resolve(process.env.MCP_CONFORMANCE_TOOLS ?? '../shared/tools/mcp-conformance')
const home = execFileSync(join(tools, 'setup.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  .trim()
  .split('\n')
  .at(-1)

const fixture = spawn(process.execPath, [join(home, 'fixture/conformance-fixture-server.mjs')], {
  env: { ...process.env, PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const fixtureUrl = await new Promise((done, fail) => {
  fixture.stdout.on('data', (chunk) => {
    const found = String(chunk).match(/https?:\/\/\S+/)
    if (found) done(found[0])
  })
  fixture.once('exit', (code) => fail(new Error(`the fixture server exited (${code})`)))
})

const dataDir = mkdtempSync(join(tmpdir(), 'warden-conformance-'))
const admin = 'conformance-admin'
const warden = await composeWarden(
  configSchema.parse({ dataDir, policy: { watch: false }, upstreams: { fixture: { url: fixtureUrl } } }),
  { adminToken: admin },
)
const server = serve({ fetch: createApp(warden).fetch, hostname: '127.0.0.1', port: 0 })
await new Promise((done) => server.once('listening', done))
const base = `http://127.0.0.1:${server.address().port}`
let status = 1
try {
  await warden.gateway.start()
  // Every tool the fixture offers, as the catalog pinned them.
  const listing = new Client({ name: 'conformance-setup', version: '1' })
  await listing.connect(new StreamableHTTPClientTransport(new URL(fixtureUrl)))
  const names = (await listing.listTools()).tools.map((tool) => tool.name)
  await listing.close()
  const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }
  const registered = await fetch(`${base}/v1/agents`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'conformance',
      owner: 'qa@example.com',
      tier: 'standard',
      entitlements: names,
    }),
  })
  if (!registered.ok) throw new Error(`register: ${registered.status} ${await registered.text()}`)
  const { token } = await (
    await fetch(`${base}/v1/agents/conformance/join-tokens`, { method: 'POST', headers })
  ).json()
  const agent = await WardenAgent.attest(base, { method: 'join_token', token })
  const task = await agent.openTask({ purpose: 'MCP conformance suite', tools: names })
  const suite = spawn(
    join(home, 'scripts/run-conformance.sh'),
    [`${base}/mcp/fixture`, ...process.argv.slice(2)],
    {
      env: { ...process.env, AUTH_HEADER: `Bearer ${task.token}`, PRESERVE_HOST: '1' },
      stdio: 'inherit',
    },
  )
  status = await new Promise((done) => suite.once('exit', (code) => done(code ?? 1)))
} finally {
  server.close()
  server.closeAllConnections?.()
  await warden.close()
  fixture.kill()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(status)
