import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { fetchWithOwnSignals, WardenAgent } from '../src/sdk/index.js'
import { CLI, everythingOverHttp, started, stopped } from './gateway.js'

/**
 * CPU per gateway `tools/call`, by process: `warden serve`, the upstream (server-everything) and the agent (this
 * process: MCP client, DPoP proofs). CPU time is what a call costs whatever else runs on the machine; wall time is
 * printed beside it but means little on a loaded one.
 *
 *   node dist/bench/gateway-cpu.js [--calls N] [--serve-flag=--cpu-prof --serve-flag=--cpu-prof-dir=DIR]
 *
 * Sequential calls on a 2025 session and on the 2026-07-28 stateless path, then 32 sessions at once, each against
 * the same calls made directly to the upstream.
 */
const ADMIN = 'bench-admin'
const TICK_US = 1e6 / 100 // USER_HZ: 100 on Linux

/** User + system CPU of a process (all its threads) in µs, from /proc. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 14 and 15 of stat(5), counted from the one after `comm`.
  return (Number(fields[11]) + Number(fields[12])) * TICK_US
}

function ownCpu(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

interface Row {
  name: string
  calls: number
  wallUs: number
  serveUs: number
  upstreamUs: number
  clientUs: number
}

async function run(
  name: string,
  clients: Client[],
  perClient: number,
  pids: { serve: number | undefined; upstream: number },
): Promise<Row> {
  const echo = (client: Client) => client.callTool({ name: 'echo', arguments: { message: 'ping' } })
  // Warm-up: the JIT, the caches, the connections.
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < Math.min(100, perClient); i++) await echo(client)
    }),
  )
  const before = {
    serve: pids.serve ? cpuOf(pids.serve) : 0,
    upstream: cpuOf(pids.upstream),
    client: ownCpu(),
    wall: process.hrtime.bigint(),
  }
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < perClient; i++) await echo(client)
    }),
  )
  const calls = clients.length * perClient
  // The run's window on the monotonic clock (µs), as a `--cpu-prof` profile of `warden serve` times its samples.
  process.stderr.write(`window ${before.wall / 1000n} ${process.hrtime.bigint() / 1000n} ${name}\n`)
  return {
    name,
    calls,
    wallUs: Number(process.hrtime.bigint() - before.wall) / 1000 / calls,
    serveUs: pids.serve ? (cpuOf(pids.serve) - before.serve) / calls : 0,
    upstreamUs: (cpuOf(pids.upstream) - before.upstream) / calls,
    clientUs: (ownCpu() - before.client) / calls,
  }
}

const args = process.argv.slice(2)
const callsArg = args.indexOf('--calls')
const CALLS = callsArg >= 0 ? Number(args[callsArg + 1]) : 2000
const serveFlags = args
  .filter((a) => a.startsWith('--serve-flag='))
  .map((a) => a.slice('--serve-flag='.length))
const CONCURRENT = 32
const onlyArg = args.indexOf('--only')
/** `--only WORD`: the runs whose name holds WORD (and their direct baseline). */
const only = onlyArg >= 0 ? (args[onlyArg + 1] as string) : undefined
const wanted = (name: string) => only === undefined || name.includes(only) || name.startsWith('direct')

const root = mkdtempSync(join(tmpdir(), 'warden-bench-gateway-cpu-'))
const http = await everythingOverHttp()
const children: ChildProcess[] = [http.child]
const clients: Client[] = []
try {
  const config = join(root, 'warden.yaml')
  writeFileSync(
    config,
    JSON.stringify({
      dataDir: join(root, 'data'),
      store: { kind: 'sqlite', durability: args.includes('--normal') ? 'normal' : 'full' },
      server: { port: 0 },
      policy: { watch: false },
      tasks: { tokenTtl: { high: 3_600_000 } },
      upstreams: { 'everything-http': { url: http.url } },
    }),
  )
  const serving = await started(
    [...serveFlags, CLI, 'serve', '--config', config],
    /Warden listening on (\S+)/,
    {
      env: { WARDEN_ADMIN_TOKEN: ADMIN },
    },
  )
  children.push(serving.child)
  const base = serving.url
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
  await fetch(`${base}/v1/agents`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ name: 'bench', owner: 'bench@example.com', tier: 'high', entitlements: ['echo'] }),
  })
  const minted = (await (
    await fetch(`${base}/v1/agents/bench/join-tokens`, { method: 'POST', headers: admin })
  ).json()) as { token: string }
  const agent = await WardenAgent.attest(base, { method: 'join_token', token: minted.token })
  const task = await agent.openTask({ purpose: 'bench', tools: ['echo'] })
  const gatewayUrl = `${base}/mcp/everything-http`

  // The agent's own share: one DPoP proof.
  {
    const n = 2000
    for (let i = 0; i < 200; i++) await agent.proof('POST', gatewayUrl, task.token)
    const cpu = ownCpu()
    for (let i = 0; i < n; i++) await agent.proof('POST', gatewayUrl, task.token)
    process.stdout.write(`client DPoP proof: ${((ownCpu() - cpu) / n).toFixed(0)} µs CPU each\n`)
  }

  const connect = async (url: string, fetch: typeof globalThis.fetch) => {
    const client = new Client({ name: 'bench', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch }))
    clients.push(client)
    return client
  }
  const pids = { serve: serving.child.pid as number, upstream: http.child.pid as number }
  const direct = { serve: undefined, upstream: pids.upstream }
  // What `warden serve` spends with nothing to do (timers, polls): a share of every sequential call's figure.
  {
    const cpu = cpuOf(pids.serve)
    await new Promise((resolve) => setTimeout(resolve, 5000))
    process.stdout.write(
      `warden serve idle: ${((cpuOf(pids.serve) - cpu) / 5000).toFixed(0)} µs CPU per ms\n`,
    )
  }
  const rows: Row[] = []
  rows.push(await run('direct, sequential', [await connect(http.url, fetchWithOwnSignals())], CALLS, direct))
  if (wanted('gateway 2025 session, sequential'))
    rows.push(
      await run(
        'gateway 2025 session, sequential',
        [await connect(gatewayUrl, agent.gatewayFetch(task, gatewayUrl))],
        CALLS,
        pids,
      ),
    )
  const modern = new ModernClient(
    { name: 'bench-modern', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  )
  await modern.connect(
    new ModernHttpTransport(new URL(gatewayUrl), { fetch: agent.gatewayFetch(task, gatewayUrl) }),
  )
  clients.push(modern as unknown as Client)
  if (wanted('gateway 2026-07-28 stateless, sequential'))
    rows.push(
      await run('gateway 2026-07-28 stateless, sequential', [modern as unknown as Client], CALLS, pids),
    )
  const perClient = Math.ceil(CALLS / CONCURRENT)
  const direct32 = await Promise.all(
    Array.from({ length: CONCURRENT }, () => connect(http.url, fetchWithOwnSignals())),
  )
  rows.push(await run(`direct, ${CONCURRENT} at once`, direct32, perClient, direct))
  const gateway32 = await Promise.all(
    Array.from({ length: CONCURRENT }, () => connect(gatewayUrl, agent.gatewayFetch(task, gatewayUrl))),
  )
  if (wanted(`gateway 2025 sessions, ${CONCURRENT} at once`))
    rows.push(await run(`gateway 2025 sessions, ${CONCURRENT} at once`, gateway32, perClient, pids))

  const header = [
    'run',
    'calls',
    'wall µs/call',
    'serve CPU µs/call',
    'upstream CPU µs/call',
    'client CPU µs/call',
  ]
  process.stdout.write(`${header.join(' | ')}\n`)
  for (const row of rows) {
    process.stdout.write(
      `${[row.name, row.calls, row.wallUs, row.serveUs, row.upstreamUs, row.clientUs]
        .map((v) => (typeof v === 'number' ? v.toFixed(0) : v))
        .join(' | ')}\n`,
    )
  }
} finally {
  for (const client of clients) await client.close().catch(() => undefined)
  for (const child of children.reverse()) await stopped(child)
  rmSync(root, { recursive: true, force: true })
}
