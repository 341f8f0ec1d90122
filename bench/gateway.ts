import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { fetchWithOwnSignals, WardenAgent } from '../src/sdk/index.js'
import { type Figure, measure, round, type Suite } from './harness.js'

export const EVERYTHING = new URL(
  '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
  import.meta.url,
).pathname
export const CLI = new URL('../src/cli/main.js', import.meta.url).pathname
const RELAY = new URL('./sdk-relay.js', import.meta.url).pathname
const ADMIN = 'bench-admin'
const RUNS = { warmup: 200, iterations: 1000 }

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Spawns `node ARGS…` and resolves with the first URL it prints on `stream` once `ready` matches. */
export async function started(
  args: string[],
  ready: RegExp,
  options: { env?: NodeJS.ProcessEnv; stream?: 'stdout' | 'stderr' } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let seen = ''
    child[options.stream ?? 'stdout']?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const match = seen.match(ready)
      if (match) resolve(match[1] as string)
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${seen}`)))
  })
  // Drained, so a chatty child never blocks on a full pipe.
  child.stdout?.resume()
  child.stderr?.resume()
  return { url, child }
}

/** Ends a child process and waits for it. */
export async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/** server-everything over Streamable HTTP, as a child process; resolves once it accepts connections. */
export async function everythingOverHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const { child } = await started([EVERYTHING, 'streamableHttp'], /(listening)/, {
    env: { PORT: String(port) },
    stream: 'stderr',
  })
  return { url: `http://127.0.0.1:${port}/mcp`, child }
}

/** `clients` calling `echo` all at once, `perClient` calls each (after a warm-up): throughput and latencies. */
async function saturate(name: string, clients: Client[], perClient: number): Promise<Figure> {
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < 10; i++) await echo(client)()
    }),
  )
  const samples: number[] = []
  const start = process.hrtime.bigint()
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < perClient; i++) {
        const t0 = process.hrtime.bigint()
        await echo(client)()
        samples.push(Number(process.hrtime.bigint() - t0) / 1000)
      }
    }),
  )
  const totalS = Number(process.hrtime.bigint() - start) / 1e9
  samples.sort((a, b) => a - b)
  return {
    name,
    ops: samples.length,
    medianUs: samples[Math.floor(samples.length / 2)] ?? 0,
    p99Us: samples[Math.floor(samples.length * 0.99)] ?? 0,
    perSecond: samples.length / totalS,
  }
}

const echo =
  (client: Client, message = 'ping') =>
  () =>
    client.callTool({ name: 'echo', arguments: { message } })

/** A tool output of the size real ones have (4 KB of prose, addresses and numbers), which the detectors read. */
const FOUR_KB = Array.from(
  { length: 40 },
  (_, i) =>
    `Row ${i}: invoice ${100_000 + i} for client-${i}@example.com, due 2026-12-${String((i % 28) + 1).padStart(2, '0')}; `,
)
  .join('')
  .padEnd(4096, '.')

/**
 * A `tools/call` (server-everything's `echo`) through the gateway against the same call made directly to the same
 * server over the same transport, from one client process (the agent): stdio (`warden gateway stdio`, a child
 * process, as a local agent launches it) and Streamable HTTP (`warden serve`, a process of its own). The gateway
 * adds: the token check (with a DPoP proof on every HTTP request: the agent is `high` tier), behaviour and Cedar,
 * the durable record of the call and its decision before the call goes upstream, and one more hop — which a bare
 * SDK relay in a process of its own measures alone. Run with the store's default durability (`full`) and with
 * `normal`.
 */
export async function benchGateway(): Promise<Suite> {
  const full = await benchGatewayWith('full')
  const normal = await benchGatewayWith('normal')
  const figures: Record<string, number> = { ...full.figures }
  for (const [name, value] of Object.entries(normal.figures)) {
    if (name.startsWith('gateway_') && name.includes('overhead'))
      figures[name.replace('overhead', 'overhead_normal_durability')] = value
  }
  return { rows: [...full.rows, ...normal.rows], figures }
}

async function benchGatewayWith(durability: 'full' | 'normal'): Promise<Suite> {
  const root = mkdtempSync(join(tmpdir(), 'warden-bench-gateway-'))
  const dataDir = join(root, 'data')
  const http = await everythingOverHttp()
  const upstreams = {
    everything: { command: ['node', EVERYTHING, 'stdio'] },
    'everything-http': { url: http.url },
  }
  // Warden runs as deployed: `warden serve` (the HTTP gateway) and `warden gateway stdio` are processes of their own
  // on one data directory (SQLite in WAL mode), apart from the agent's (this one).
  const config = join(root, 'warden.yaml')
  writeFileSync(
    config,
    JSON.stringify({
      dataDir,
      store: { kind: 'sqlite', durability },
      server: { port: 0 },
      policy: { watch: false },
      // The stdio gateway's token comes from its environment and is never refreshed: it must outlast a run on a
      // busy machine (the default for the `high` tier is 10 minutes).
      tasks: { tokenTtl: { high: 3_600_000 } },
      upstreams,
    }),
  )
  const children: ChildProcess[] = [http.child]
  const clients: Client[] = []
  const connect = async (transport: StdioClientTransport | StreamableHTTPClientTransport) => {
    const client = new Client({ name: 'bench', version: '1' })
    await client.connect(transport)
    clients.push(client)
    return client
  }
  try {
    // `node --cpu-prof dist/bench/main.js gateway` profiles `warden serve` too (NODE_OPTIONS refuses the flag).
    const profile = process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'))
    const serving = await started(
      [...profile, CLI, 'serve', '--config', config],
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
      body: JSON.stringify({
        name: 'bench',
        owner: 'bench@example.com',
        tier: 'high',
        entitlements: ['echo'],
      }),
    })
    const minted = (await (
      await fetch(`${base}/v1/agents/bench/join-tokens`, { method: 'POST', headers: admin })
    ).json()) as { token: string }
    const agent = await WardenAgent.attest(base, { method: 'join_token', token: minted.token })
    const credential = join(root, 'bench.credential.json')
    writeFileSync(credential, JSON.stringify(agent.toCredential()), { mode: 0o600 })
    const task = await agent.openTask({ purpose: 'bench', tools: ['echo'] })

    const stdioDirect = await connect(
      new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'pipe' }),
    )
    const stdioGateway = await connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'gateway', 'stdio', '--upstream', 'everything', '--config', config],
        env: { PATH: process.env.PATH ?? '', WARDEN_TASK_TOKEN: task.token, WARDEN_CREDENTIAL: credential },
        stderr: 'pipe',
      }),
    )
    const stdioRelay = await connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [RELAY, process.execPath, EVERYTHING, 'stdio'],
        stderr: 'pipe',
      }),
    )
    // Every HTTP client with the same fetch as the gateway's own (`fetchWithOwnSignals`): like for like.
    const httpDirect = await connect(
      new StreamableHTTPClientTransport(new URL(http.url), { fetch: fetchWithOwnSignals() }),
    )
    const relay = await started([RELAY, '--http', http.url], /relay listening on (\S+)/)
    children.push(relay.child)
    const httpRelayClient = await connect(
      new StreamableHTTPClientTransport(new URL(relay.url), { fetch: fetchWithOwnSignals() }),
    )
    const gatewayUrl = `${base}/mcp/everything-http`
    const httpGateway = await connect(
      new StreamableHTTPClientTransport(new URL(gatewayUrl), { fetch: agent.gatewayFetch(task, gatewayUrl) }),
    )

    const rows: Suite['rows'] = []
    const figures: Record<string, number> = {}
    const compare = async (
      transport: string,
      direct: Client,
      viaWarden: Client,
      viaRelay: Client,
      message = 'ping',
    ) => {
      const size = message.length > 100 ? ', 4 KB output' : ''
      const baseline: Figure = await measure(
        `direct ${transport} tools/call${size}`,
        echo(direct, message),
        RUNS,
      )
      const relayed = await measure(
        `through a bare SDK relay, ${transport}${size}`,
        echo(viaRelay, message),
        RUNS,
      )
      const gateway = await measure(
        `through the gateway, ${transport}${size}, durability ${durability}`,
        echo(viaWarden, message),
        RUNS,
      )
      rows.push({ figure: baseline }, { figure: relayed, baseline }, { figure: gateway, baseline })
      figures[`gateway_${transport}_overhead_p50_ms`] = round((gateway.medianUs - baseline.medianUs) / 1000)
      figures[`gateway_${transport}_overhead_p99_ms`] = round((gateway.p99Us - baseline.p99Us) / 1000)
      // The floor under it: what the same SDK parts add with nothing between them (`sdk-relay.ts`).
      figures[`sdk_relay_${transport}_overhead_p50_ms`] = round((relayed.medianUs - baseline.medianUs) / 1000)
      figures[`sdk_relay_${transport}_overhead_p99_ms`] = round((relayed.p99Us - baseline.p99Us) / 1000)
      figures[`gateway_${transport}_call_p50_ms`] = round(gateway.medianUs / 1000)
      figures[`direct_${transport}_call_p50_ms`] = round(baseline.medianUs / 1000)
    }
    await compare('stdio', stdioDirect, stdioGateway, stdioRelay)
    await compare('http', httpDirect, httpGateway, httpRelayClient)

    if (durability !== 'full') return { rows, figures }
    // 2026-07-28: a v2-SDK client pinned to the stateless revision, each call a POST of its own (proof, token
    // check, decision, durable record), against the same direct call as above.
    const modern = new ModernClient(
      { name: 'bench-modern', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await modern.connect(
      new ModernHttpTransport(new URL(gatewayUrl), { fetch: agent.gatewayFetch(task, gatewayUrl) }),
    )
    clients.push(modern as unknown as Client)
    {
      const baseline = await measure('direct http tools/call (again)', echo(httpDirect), RUNS)
      const stateless = await measure(
        `through the gateway, http, 2026-07-28 stateless, durability ${durability}`,
        echo(modern as unknown as Client),
        RUNS,
      )
      rows.push({ figure: baseline }, { figure: stateless, baseline })
      figures.gateway_http_stateless_overhead_p50_ms = round((stateless.medianUs - baseline.medianUs) / 1000)
      figures.gateway_http_stateless_overhead_p99_ms = round((stateless.p99Us - baseline.p99Us) / 1000)
    }

    // Load: 32 clients at once, each with a session of its own, as many calls as they can; the same against
    // the server directly.
    const CONCURRENT = 32
    const PER_CLIENT = 50
    const direct32 = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        connect(new StreamableHTTPClientTransport(new URL(http.url), { fetch: fetchWithOwnSignals() })),
      ),
    )
    const gateway32 = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        connect(
          new StreamableHTTPClientTransport(new URL(gatewayUrl), {
            fetch: agent.gatewayFetch(task, gatewayUrl),
          }),
        ),
      ),
    )
    for (const [label, group] of [
      ['direct', direct32],
      ['gateway', gateway32],
    ] as const) {
      const figure = await saturate(
        `${label} http tools/call, ${CONCURRENT} clients at once`,
        group,
        PER_CLIENT,
      )
      rows.push({ figure })
      figures[`${label}_http_calls_per_s`] = Math.round(figure.perSecond)
      figures[`${label}_http_calls_p99_ms`] = round(figure.p99Us / 1000)
    }
    // Not part of the headline figures: what a realistic output adds (its reading happens after the answer).
    await compare('stdio_4kb', stdioDirect, stdioGateway, stdioRelay, FOUR_KB)
    figures.gateway_overhead_p50_ms = Math.max(
      figures.gateway_stdio_overhead_p50_ms as number,
      figures.gateway_http_overhead_p50_ms as number,
    )
    figures.gateway_overhead_p99_ms = Math.max(
      figures.gateway_stdio_overhead_p99_ms as number,
      figures.gateway_http_overhead_p99_ms as number,
    )
    return { rows, figures }
  } finally {
    for (const client of clients) await client.close().catch(() => undefined)
    for (const child of children.reverse()) await stopped(child)
    rmSync(root, { recursive: true, force: true })
  }
}
