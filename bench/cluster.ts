import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import pg from 'pg'
import { type Figure, round, type Suite } from './harness.js'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const PG_URL = process.env.WARDEN_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const ADMIN = 'bench-admin'
const TRIALS = Number(process.env.WARDEN_BENCH_REVOCATIONS ?? 1000)
const READ = { action: 'tools/call', server: 'mail', tool: 'read_inbox', args: {} }

/** A `warden serve` node on the shared store; resolves with its URL once it listens. */
async function startNode(
  storeUrl: string,
  dataDir: string,
  kek: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--data', dataDir, '--store', storeUrl],
    {
      env: { PATH: process.env.PATH, WARDEN_ADMIN_TOKEN: ADMIN, WARDEN_KEK: kek },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node did not start')), 120_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /Warden listening on (\S+)/.exec(out)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)))
  })
  return { url, child }
}

/** An agent instance talking to the nodes over HTTP, with a DPoP proof per request. */
class BenchAgent {
  private constructor(
    private readonly key: CryptoKey,
    private readonly jwk: JWK,
    readonly svid: string,
  ) {}

  static async attest(url: string, joinToken: string): Promise<BenchAgent> {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const agent = new BenchAgent(privateKey as CryptoKey, jwk, '')
    const res = await fetch(`${url}/v1/attest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await agent.proof(`${url}/v1/attest`) },
      body: JSON.stringify({ method: 'join_token', token: joinToken, publicKey: jwk }),
    })
    const { svid } = (await res.json()) as { svid: string }
    return new BenchAgent(privateKey as CryptoKey, jwk, svid)
  }

  proof(url: string, token?: string): Promise<string> {
    const ath = token ? { ath: createHash('sha256').update(token).digest('base64url') } : {}
    return new SignJWT({ htm: 'POST', htu: url, jti: randomUUID(), ...ath })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.jwk })
      .setIssuedAt()
      .sign(this.key)
  }

  async post(
    url: string,
    token: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `DPoP ${token}`,
        dpop: await this.proof(url, token),
      },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  async openTask(url: string): Promise<{ taskId: string; token: string }> {
    const { body } = await this.post(`${url}/v1/tasks`, this.svid, { intent: { purpose: 'bench' } })
    return body as { taskId: string; token: string }
  }
}

const admin = (url: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
}

/**
 * Two `warden serve` processes on one PostgreSQL: how long a task closed on node A stays usable on node B
 * (revocation_p99_ms: from sending the close to A until B's first refusal, B asked back to back meanwhile, after
 * B had served the task and cached its standing), and decisions per second over HTTP with one node and with
 * two (the ratio is what sharing the store costs on this two-core machine, where the nodes, PostgreSQL and the
 * clients share the cores).
 */
export async function benchCluster(): Promise<Suite> {
  const schema = `warden_bench_${process.pid}_${randomBytes(3).toString('hex')}`
  const db = new pg.Client({ connectionString: PG_URL })
  await db.connect()
  await db.query(`CREATE SCHEMA ${schema}`)
  const storeUrl = new URL(PG_URL)
  storeUrl.searchParams.set('options', `-c search_path=${schema}`)
  const root = mkdtempSync(join(tmpdir(), 'warden-bench-cluster-'))
  const kek = randomBytes(32).toString('base64url')
  const nodes: Array<{ url: string; child: ChildProcess }> = []
  try {
    for (const name of ['a', 'b']) {
      nodes.push(await startNode(storeUrl.toString(), mkdtempSync(join(root, name)), kek))
    }
    const [a, b] = nodes as unknown as [{ url: string }, { url: string }]
    await admin(a.url, 'PUT', '/v1/servers/mail/tools', {
      tools: [
        {
          name: 'read_inbox',
          inputSchema: { type: 'object', properties: {} },
          annotations: { readOnlyHint: true },
        },
      ],
    })
    await admin(a.url, 'POST', '/v1/agents', {
      name: 'bench',
      owner: 'bench@example.com',
      tier: 'standard',
      entitlements: ['read_inbox'],
    })
    const joinToken = async () =>
      ((await (await admin(a.url, 'POST', '/v1/agents/bench/join-tokens')).json()) as { token: string }).token
    const agent = await BenchAgent.attest(b.url, await joinToken())

    // Revocation: close on A, ask B back to back until it refuses.
    const latencies: number[] = []
    /** How long node A took to answer the close itself (its records on disk included). */
    const closeTimes: number[] = []
    let missed = 0
    for (let trial = 0; trial < TRIALS; trial++) {
      const task = await agent.openTask(a.url)
      const warm = await agent.post(`${b.url}/v1/authorize`, task.token, READ)
      if (warm.body.effect !== 'allow')
        throw new Error(`bench task not allowed on B: ${JSON.stringify(warm.body)}`)
      const t0 = process.hrtime.bigint()
      const closing = admin(a.url, 'POST', `/v1/tasks/${task.taskId}/close`, { reason: 'bench' })
      const closed = closing.then(() => {
        closeTimes.push(Number(process.hrtime.bigint() - t0) / 1e6)
      })
      let refused = false
      for (let asked = 0; asked < 10_000 && !refused; asked++) {
        const answer = await agent.post(`${b.url}/v1/authorize`, task.token, READ)
        refused = answer.body.code === 'TASK_CLOSED'
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (!refused) missed += 1
      latencies.push(ms)
      await closed
    }
    latencies.sort((x, y) => x - y)
    closeTimes.sort((x, y) => x - y)

    // Throughput: 16 clients, each with a task of its own, for a fixed time; on A alone, then on A and B.
    const clients = 16
    const tasks = await Promise.all(Array.from({ length: clients }, () => agent.openTask(a.url)))
    const throughput = async (urls: readonly string[], ms: number): Promise<number> => {
      let done = 0
      const end = Date.now() + ms
      await Promise.all(
        tasks.map(async (task, i) => {
          let n = i
          while (Date.now() < end) {
            const answer = await agent.post(`${urls[n++ % urls.length]}/v1/authorize`, task.token, READ)
            if (answer.body.effect !== 'allow') throw new Error(`not allowed: ${JSON.stringify(answer.body)}`)
            done += 1
          }
        }),
      )
      return done / (ms / 1000)
    }
    // Interleaved rounds, medians: the machine's other load drifts over a run and must not favour either.
    await throughput([a.url, b.url], 2_000)
    const ones: number[] = []
    const twos: number[] = []
    for (let round = 0; round < 3; round++) {
      ones.push(await throughput([a.url], 4_000))
      twos.push(await throughput([a.url, b.url], 4_000))
    }
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[1] as number
    const one = median(ones)
    const two = median(twos)

    const figure = (name: string, perSecond: number, medianUs = Number.NaN, p99Us = Number.NaN): Figure => ({
      name,
      ops: 0,
      medianUs,
      p99Us,
      perSecond,
    })
    return {
      rows: [
        {
          figure: {
            ...figure(
              'revocation_a_to_b',
              0,
              percentile(latencies, 0.5) * 1000,
              percentile(latencies, 0.99) * 1000,
            ),
            ops: latencies.length,
          },
        },
        {
          figure: figure('cluster_decisions_two_nodes', two),
          baseline: figure('cluster_decisions_one_node', one),
        },
        { figure: figure('cluster_decisions_one_node', one) },
      ],
      figures: {
        revocation_trials: latencies.length,
        revocation_missed: missed,
        revocation_p50_ms: round(percentile(latencies, 0.5)),
        revocation_p99_ms: round(percentile(latencies, 0.99)),
        revocation_max_ms: round(latencies.at(-1) ?? 0),
        revocation_close_answered_p50_ms: round(percentile(closeTimes, 0.5)),
        cluster_decisions_per_s_one_node: Math.round(one),
        cluster_decisions_per_s_two_nodes: Math.round(two),
        cluster_two_to_one: round(two / one),
      },
    }
  } finally {
    for (const node of nodes) node.child.kill('SIGKILL')
    await db.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined)
    await db.end()
    rmSync(root, { recursive: true, force: true })
  }
}
