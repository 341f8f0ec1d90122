#!/usr/bin/env node
// Takes the real `tools/list` of popular MCP servers from npm and writes test/corpus/mcp-tools/<server>.json.
//
//   node scripts/mcp-tool-corpus.mjs [--latest] [--only a,b] [--keep]
//
// Each server is installed (exact version below, or the registry's latest with --latest) into its own folder
// under a temporary directory — never into the project — started over stdio with dummy credentials where it
// asks for any, and asked for its tools (every page). The JSON beside each list records the package and the
// version it came from. Nothing is called: listing needs no account. The corpus test (test/policy/
// mcp-tool-corpus.test.ts) reads only the committed files, so it needs no network.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ResultSchema } from '@modelcontextprotocol/sdk/types.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'test/corpus/mcp-tools')

/**
 * `server`: the corpus file's name (and the Warden server name the tests give it); `bin`: the package's
 * executable; `args`/`env`: what it needs to start and list (`$DIR` is a scratch folder of its own).
 */
const SERVERS = [
  {
    server: 'playwright',
    pkg: '@playwright/mcp',
    version: '0.0.83',
    bin: 'playwright-mcp',
    args: ['--headless'],
  },
  {
    server: 'chrome-devtools',
    pkg: 'chrome-devtools-mcp',
    version: '1.11.0',
    bin: 'chrome-devtools-mcp',
    args: ['--headless'],
  },
  { server: 'context7', pkg: '@upstash/context7-mcp', version: '4.1.1', bin: 'context7-mcp' },
  {
    server: 'github',
    pkg: '@modelcontextprotocol/server-github',
    version: '2025.4.8',
    bin: 'mcp-server-github',
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_dummy' },
  },
  {
    server: 'postgres',
    pkg: '@modelcontextprotocol/server-postgres',
    version: '0.6.2',
    bin: 'mcp-server-postgres',
    args: ['postgresql://127.0.0.1:5432/test'],
  },
  {
    server: 'sequential-thinking',
    pkg: '@modelcontextprotocol/server-sequential-thinking',
    version: '2026.8.31',
    bin: 'mcp-server-sequential-thinking',
  },
  {
    server: 'filesystem',
    pkg: '@modelcontextprotocol/server-filesystem',
    version: '2026.8.31',
    bin: 'mcp-server-filesystem',
    args: ['$DIR'],
  },
  {
    server: 'memory',
    pkg: '@modelcontextprotocol/server-memory',
    version: '2026.8.31',
    bin: 'mcp-server-memory',
    env: { MEMORY_FILE_PATH: '$DIR/memory.jsonl' },
  },
  {
    server: 'everything',
    pkg: '@modelcontextprotocol/server-everything',
    version: '2026.8.31',
    bin: 'mcp-server-everything',
    args: ['stdio'],
  },
  {
    server: 'supabase',
    pkg: '@supabase/mcp-server-supabase',
    version: '0.13.0',
    bin: 'mcp-server-supabase',
    args: [
      '--access-token',
      'sbp_dummy',
      '--features',
      'account,database,debugging,development,functions,branching,storage',
    ],
  },
  {
    pkg: '@azure-devops/mcp',
    version: '2.10.0',
    bin: 'mcp-server-azuredevops',
    args: ['contoso'],
    scripts: true,
  },
  // Not here: @azure-devops/mcp (needs keytar's native build, libsecret, to start), @stripe/mcp (lists its tools
  // from Stripe's remote server).
  { server: 'azure', pkg: '@azure/mcp', version: '2.0.5', bin: 'azmcp', args: ['server', 'start'] },
  {
    server: 'notion',
    pkg: '@notionhq/notion-mcp-server',
    version: '2.5.2',
    bin: 'notion-mcp-server',
    env: { NOTION_TOKEN: 'ntn_dummy' },
  },
  { server: 'kubernetes', pkg: 'mcp-server-kubernetes', version: '4.1.7', bin: 'mcp-server-kubernetes' },
  {
    server: 'slack',
    pkg: '@modelcontextprotocol/server-slack',
    version: '2025.4.25',
    bin: 'mcp-server-slack',
    env: { SLACK_BOT_TOKEN: 'xoxb-dummy', SLACK_TEAM_ID: 'T00000000' },
  },
  {
    server: 'puppeteer',
    pkg: '@modelcontextprotocol/server-puppeteer',
    version: '2025.5.12',
    bin: 'mcp-server-puppeteer',
  },
  {
    server: 'brave-search',
    pkg: '@modelcontextprotocol/server-brave-search',
    version: '0.6.2',
    bin: 'mcp-server-brave-search',
    env: { BRAVE_API_KEY: 'dummy' },
  },
  {
    server: 'gitlab',
    pkg: '@modelcontextprotocol/server-gitlab',
    version: '2025.4.25',
    bin: 'mcp-server-gitlab',
    env: { GITLAB_PERSONAL_ACCESS_TOKEN: 'glpat-dummy' },
  },
  {
    server: 'google-maps',
    pkg: '@modelcontextprotocol/server-google-maps',
    version: '0.6.2',
    bin: 'mcp-server-google-maps',
    env: { GOOGLE_MAPS_API_KEY: 'dummy' },
  },
  {
    server: 'firecrawl',
    pkg: 'firecrawl-mcp',
    version: '3.26.0',
    bin: 'firecrawl-mcp',
    env: { FIRECRAWL_API_KEY: 'fc-dummy' },
  },
  {
    server: 'tavily',
    pkg: 'tavily-mcp',
    version: '0.2.22',
    bin: 'tavily-mcp',
    env: { TAVILY_API_KEY: 'tvly-dummy' },
  },
  {
    server: 'exa',
    pkg: 'exa-mcp-server',
    version: '3.4.1',
    bin: 'exa-mcp-server',
    env: { EXA_API_KEY: 'dummy' },
  },
  {
    server: 'sentry',
    pkg: '@sentry/mcp-server',
    version: '0.39.0',
    bin: 'sentry-mcp',
    args: ['--access-token=dummy'],
  },
  {
    server: 'browserbase',
    pkg: '@browserbasehq/mcp-server-browserbase',
    version: '2.4.3',
    bin: 'mcp-server-browserbase',
    env: { BROWSERBASE_API_KEY: 'dummy', BROWSERBASE_PROJECT_ID: 'dummy', GEMINI_API_KEY: 'dummy' },
  },
]

const flags = process.argv.slice(2)
const latest = flags.includes('--latest')
const keep = flags.includes('--keep')
const onlyAt = flags.indexOf('--only')
const only = onlyAt >= 0 ? new Set(flags[onlyAt + 1]?.split(',')) : null

const work = mkdtempSync(join(tmpdir(), 'mcp-tool-corpus-'))
mkdirSync(OUT, { recursive: true })
const results = []

async function take(spec) {
  const dir = join(work, spec.server)
  const scratch = join(dir, 'scratch')
  mkdirSync(scratch, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n')
  const version = latest ? 'latest' : spec.version
  // No install scripts unless a server needs one to start (a native module): a server that downloads a browser
  // or a binary at install time is listed without it.
  const install = spawnSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      ...(spec.scripts ? [] : ['--ignore-scripts']),
      '--loglevel=error',
      `${spec.pkg}@${version}`,
    ],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' } },
  )
  if (install.status !== 0)
    throw new Error(`npm install failed: ${install.stderr.trim().split('\n').slice(-3).join(' ')}`)
  const installed = JSON.parse(
    readFileSync(join(dir, 'node_modules', spec.pkg, 'package.json'), 'utf8'),
  ).version
  const fill = (s) => s.replaceAll('$DIR', scratch)
  const env = {
    PATH: process.env.PATH,
    HOME: scratch,
    TMPDIR: scratch,
    NODE_ENV: 'production',
    ...Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, fill(v)])),
  }
  const transport = new StdioClientTransport({
    command: join(dir, 'node_modules', '.bin', spec.bin),
    args: (spec.args ?? []).map(fill),
    env,
    cwd: scratch,
    stderr: 'pipe',
  })
  let stderr = ''
  transport.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-2000)
  })
  const client = new Client({ name: 'warden-corpus', version: '1.0.0' })
  const timeout = (ms, what) =>
    new Promise((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} timed out; stderr: ${stderr.trim().slice(-400)}`)),
        ms,
      ).unref(),
    )
  try {
    await Promise.race([client.connect(transport), timeout(60_000, 'initialize')])
    const tools = []
    let cursor
    do {
      // The raw result, as the server sent it: the SDK's own `listTools` would refuse a list that breaks the MCP
      // schema (GitLab's root schemas have no `type`), and such lists are exactly what the corpus is for.
      const page = await Promise.race([
        client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ResultSchema),
        timeout(60_000, 'tools/list'),
      ])
      tools.push(...page.tools)
      cursor = page.nextCursor
    } while (cursor)
    const serverInfo = client.getServerVersion() ?? null
    const file = {
      server: spec.server,
      package: spec.pkg,
      version: installed,
      serverInfo,
      toolCount: tools.length,
      tools,
    }
    writeFileSync(join(OUT, `${spec.server}.json`), `${JSON.stringify(file, null, 2)}\n`)
    return { server: spec.server, version: installed, tools: tools.length }
  } finally {
    await client.close().catch(() => {})
  }
}

for (const spec of SERVERS) {
  if (only && !only.has(spec.server)) continue
  const started = Date.now()
  try {
    const result = await take(spec)
    results.push(result)
    console.log(`ok   ${spec.server}@${result.version}: ${result.tools} tools (${Date.now() - started} ms)`)
  } catch (error) {
    console.log(`FAIL ${spec.server}: ${String(error?.message ?? error).replaceAll(work, '$WORK')}`)
  }
}
if (!keep) rmSync(work, { recursive: true, force: true })
else console.log(`kept ${work}`)
console.log(`${results.length} servers, ${results.reduce((n, r) => n + r.tools, 0)} tools`)
