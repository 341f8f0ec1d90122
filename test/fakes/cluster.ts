import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { stringify } from 'yaml'
import { InstanceKey } from './instance-key.js'
import { TEST_PG_URL } from './postgres.js'
import { type ServeProcess, startServe } from './process.js'

export const CLUSTER_ADMIN = 'cluster-admin-token'

/** A store URL confined to one schema (every node of a test cluster, and its CLI, use the same). */
export function schemaUrl(schema: string): string {
  const url = new URL(TEST_PG_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/** Several `warden serve` processes on one PostgreSQL schema, each with its own data directory. */
export interface TestCluster {
  nodes: ServeProcess[]
  schema: string
  storeUrl: string
  kek: string
  dataDirs: string[]
  /** Environment for the CLI on this cluster's store. */
  env: NodeJS.ProcessEnv
  /** Starts one more node (e.g. to replace a killed one). */
  add(): Promise<ServeProcess>
  /** An admin request to node `i`; JSON bodies serialised. */
  admin(i: number, method: string, path: string, body?: unknown): Promise<Response>
  /** A SQL query on the cluster's schema. */
  sql<T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>
  dispose(): Promise<void>
}

/** Starts `count` nodes at once on a fresh schema (they race to migrate and to make the shared keys). */
export async function startCluster(
  count: number,
  config: Record<string, unknown> = {},
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<TestCluster> {
  const schema = `warden_cluster_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_PG_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.query(`SET search_path TO ${schema}`)
  const storeUrl = schemaUrl(schema)
  const kek = randomBytes(32).toString('base64url')
  const root = mkdtempSync(join(tmpdir(), 'warden-cluster-'))
  const configFile = join(root, 'warden.yaml')
  writeFileSync(configFile, stringify(config))
  const env = {
    WARDEN_ADMIN_TOKEN: CLUSTER_ADMIN,
    WARDEN_KEK: kek,
    WARDEN_CONFIG: configFile,
    WARDEN_STORE_URL: storeUrl,
    ...extraEnv,
  }
  const dataDirs: string[] = []
  const start = () => {
    const dataDir = mkdtempSync(join(root, 'node-'))
    dataDirs.push(dataDir)
    // Nodes starting together share two cores with the tests: more time than one start alone needs.
    return startServe(['--data', dataDir, '--store', storeUrl], env, { startTimeoutMs: 60_000 })
  }
  const nodes = await Promise.all(Array.from({ length: count }, start))
  return {
    nodes,
    schema,
    storeUrl,
    kek,
    dataDirs,
    env: { ...env, WARDEN_DATA: dataDirs[0] },
    add: async () => {
      const node = await start()
      nodes.push(node)
      return node
    },
    admin: (i, method, path, body) =>
      fetch(`${nodes[i]?.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${CLUSTER_ADMIN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    sql: async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
      (await admin.query<T>(text, params)).rows,
    dispose: async () => {
      const running = nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null)
      await Promise.all(running.map((node) => node.stop('SIGKILL')))
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** An attested instance of an agent, able to send DPoP-proven requests to any node. */
export interface ClusterAgent {
  key: InstanceKey
  instanceId: string
  spiffeId: string
  svid: string
}

/** A task opened by a `ClusterAgent`. */
export interface ClusterTask {
  taskId: string
  token: string
}

/** Registers `name` (on node `i`) and attests an instance of it (on node `j`). */
export async function attestAgent(
  cluster: TestCluster,
  name: string,
  agent: Record<string, unknown>,
  on: { register: number; attest: number },
): Promise<ClusterAgent> {
  const registered = await cluster.admin(on.register, 'POST', '/v1/agents', {
    name,
    owner: `${name}@example.com`,
    tier: 'standard',
    ...agent,
  })
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`)
  const { token } = (await (
    await cluster.admin(on.register, 'POST', `/v1/agents/${name}/join-tokens`)
  ).json()) as { token: string }
  const key = await InstanceKey.generate()
  const url = `${cluster.nodes[on.attest]?.url}/v1/attest`
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', dpop: await key.proof('POST', url) },
    body: JSON.stringify({ method: 'join_token', token, publicKey: key.publicJwk }),
  })
  if (res.status !== 201) throw new Error(`attest: ${res.status} ${await res.text()}`)
  return { key, ...((await res.json()) as { instanceId: string; spiffeId: string; svid: string }) }
}

/** A POST with the agent's SVID or task token and a DPoP proof for exactly this node's URL. */
export async function send(
  node: ServeProcess,
  who: ClusterAgent,
  path: string,
  body: unknown,
  token = who.svid,
): Promise<Response> {
  const url = `${node.url}${path}`
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `DPoP ${token}`,
      dpop: await who.key.proof('POST', url, { accessToken: token }),
    },
    body: JSON.stringify(body),
  })
}

/** Opens a task on `node`. */
export async function openClusterTask(
  node: ServeProcess,
  who: ClusterAgent,
  intent: Record<string, unknown>,
): Promise<ClusterTask> {
  const res = await send(node, who, '/v1/tasks', { intent })
  if (res.status !== 201) throw new Error(`open task: ${res.status} ${await res.text()}`)
  return (await res.json()) as ClusterTask
}

/** `POST /v1/authorize` on `node` with the task's token; resolves to the decision or the error body. */
export async function authorizeOn(
  node: ServeProcess,
  who: ClusterAgent,
  task: ClusterTask,
  request: Record<string, unknown>,
): Promise<{ status: number; effect?: string; code?: string; call?: string; reasons?: string[] }> {
  const res = await send(node, who, '/v1/authorize', request, task.token)
  return { status: res.status, ...((await res.json()) as Record<string, unknown>) }
}
