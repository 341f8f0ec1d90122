import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { z } from 'zod'
import type { ConfigInput } from '../../src/config/index.js'
import { type TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

/** One request UP received: its tool call (if any) and every header. */
export interface Seen {
  tool?: string
  args?: Record<string, unknown>
  headers: Record<string, string>
  body: string
}

/**
 * UP of the catalogue: a Streamable HTTP MCP server (the official SDK, stateless) that logs every request line
 * and header, with `read_file(path)`, `delete_file(path)`, `echo(text)`, `slow(ms)` and `big(bytes)`. Its log is the oracle:
 * a denied call leaves nothing in `calls()`.
 */
export interface Upstream {
  url: string
  seen: Seen[]
  calls(): Array<{ tool: string; args: Record<string, unknown> }>
  close(): Promise<void>
}

export async function startUpstream(name = 'files'): Promise<Upstream> {
  const seen: Seen[] = []
  const server: Server = createServer(
    getRequestListener(async (request) => {
      const body = request.method === 'POST' ? await request.clone().text() : ''
      const entry: Seen = { headers: Object.fromEntries(request.headers), body }
      try {
        const message = JSON.parse(body) as { method?: string; params?: { name?: string; arguments?: never } }
        if (message.method === 'tools/call') {
          entry.tool = message.params?.name ?? ''
          entry.args = message.params?.arguments ?? {}
        }
      } catch {
        // not JSON: logged as is
      }
      seen.push(entry)
      const mcp = new McpServer({ name, version: '1.0.0' })
      const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })
      mcp.registerTool(
        'read_file',
        {
          description: 'Reads a file',
          inputSchema: { path: z.string() },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ path }) => text(`contents of ${path}`),
      )
      mcp.registerTool(
        'delete_file',
        {
          description: 'Deletes a file',
          inputSchema: { path: z.string() },
          annotations: { openWorldHint: false },
        },
        async ({ path }) => text(`deleted ${path}`),
      )
      mcp.registerTool(
        'echo',
        {
          description: 'Echoes text',
          inputSchema: { text: z.string() },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ text: value }) => text(value),
      )
      mcp.registerTool(
        'slow',
        {
          description: 'Answers after a while',
          inputSchema: { ms: z.number() },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ ms }) => {
          await new Promise((resolve) => setTimeout(resolve, ms))
          return text(`slept ${ms}`)
        },
      )
      mcp.registerTool(
        'big',
        {
          description: 'Answers with `bytes` of text',
          inputSchema: { bytes: z.number() },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ bytes }) => text('x'.repeat(bytes)),
      )
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })
      await mcp.connect(transport)
      return transport.handleRequest(request)
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    seen,
    calls: () => seen.flatMap((s) => (s.tool === undefined ? [] : [{ tool: s.tool, args: s.args ?? {} }])),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  }
}

export const TOOLS = ['read_file', 'delete_file', 'echo', 'slow', 'big']

/**
 * A policy directory: the catalogue's PO-05 set. Tools are permitted as declared, `read_file` only under
 * `/workspace/`, and `delete_file` is forbidden outright.
 */
export const WORKSPACE_POLICY = `
@id("permit-listing")
permit (principal, action == Warden::Action::"list", resource);

@id("permit-echo-and-slow")
permit (
  principal,
  action in [Warden::files::Action::"echo", Warden::files::Action::"slow", Warden::files::Action::"big"],
  resource
);

@id("permit-workspace-reads")
permit (principal, action == Warden::files::Action::"read_file", resource)
when { context.input.path like "/workspace/*" };

@id("forbid-etc")
forbid (principal, action == Warden::files::Action::"read_file", resource)
when { context.input.path like "/etc/*" };

@id("forbid-delete")
forbid (principal, action == Warden::files::Action::"delete_file", resource);
`

/** A temporary policy directory holding `files` (name → Cedar text). */
export function policyDir(files: Record<string, string>): {
  dir: string
  write(name: string, text: string): void
  remove(): void
} {
  const dir = mkdtempSync(join(tmpdir(), 'warden-policies-'))
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text)
  for (const [name, text] of Object.entries(files)) write(name, text)
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Warden in-process on a loopback port, UP behind it as upstream `files`, and one attested agent with a task. */
export interface Secured {
  t: TestWarden
  url: string
  up: Upstream
  agent: WardenAgent
  task: TaskHandle
  /** A real MCP SDK client on `/mcp/files` for `task` (or another task). */
  client(task?: TaskHandle, who?: WardenAgent): Promise<Client>
  /** Registers another agent, attests an instance and opens a task. */
  newAgent(name: string, tools?: string[]): Promise<{ agent: WardenAgent; task: TaskHandle }>
  close(): Promise<void>
}

export async function startSecured(
  options: { config?: ConfigInput; policies?: Record<string, string>; start?: boolean } = {},
): Promise<Secured> {
  const up = await startUpstream()
  const policies = policyDir(options.policies ?? { 'workspace.cedar': WORKSPACE_POLICY })
  const config = options.config ?? {}
  const t = await startTestWarden(
    {
      ...config,
      policy: { dir: policies.dir, watch: false, ...(config.policy ?? {}) },
      upstreams: { ...(config.upstreams ?? {}), files: { ...(config.upstreams?.files ?? {}), url: up.url } },
    },
    { clock: new ShiftedClock() },
  )
  await t.warden.gateway.start()
  const { url, close } = await listen(t)
  const clients: Client[] = []
  const newAgent = async (name: string, tools = TOOLS) => {
    await t.request('POST', '/v1/agents', {
      body: { name, owner: `${name}@example.com`, tier: 'standard', entitlements: tools },
    })
    const minted = (await (await t.request('POST', `/v1/agents/${name}/join-tokens`)).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const task = await agent.openTask({ purpose: 'read the workspace notes', tools })
    return { agent, task }
  }
  const { agent, task } = await newAgent('reader')
  return {
    t,
    url,
    up,
    agent,
    task,
    newAgent,
    client: async (forTask = task, who = agent) => {
      const client = await mcpClient(`${url}/mcp/files`, who, forTask)
      clients.push(client)
      return client
    },
    close: async () => {
      for (const client of clients) await client.close().catch(() => undefined)
      await close()
      await t.dispose()
      await up.close()
      policies.remove()
    },
  }
}
