import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import type { ToolCatalog, ToolDefinition } from '../catalog/index.js'
import type { UpstreamConfig } from '../config/index.js'
import { type Logger, WardenError } from '../kernel/index.js'

const MAX_BACKOFF = 10_000

/**
 * One MCP server behind the gateway: a real SDK client over stdio (spawned, restarted with backoff when it
 * exits) or Streamable HTTP. Its tool list is synced into the catalog, which pins each definition.
 */
export class Upstream {
  private client: Client | undefined
  private connecting: Promise<Client> | undefined
  private backoff = 250
  private stopped = false
  private tools: ToolDefinition[] = []

  constructor(
    readonly name: string,
    readonly config: UpstreamConfig,
    private readonly catalog: ToolCatalog,
    private readonly logger: Logger,
  ) {}

  private transport(): Transport {
    if (this.config.command) {
      const [command, ...args] = this.config.command
      return new StdioClientTransport({
        command: command === 'node' ? process.execPath : (command as string),
        args,
        env: { ...(process.env as Record<string, string>), ...this.config.env },
        ...(this.config.cwd ? { cwd: this.config.cwd } : {}),
        // A stdio server's stderr is its log, never part of the protocol.
        stderr: 'pipe',
      })
    }
    return new StreamableHTTPClientTransport(new URL(this.config.url as string))
  }

  /** Connects (once; concurrent callers share the attempt) and syncs the tool list into the catalog. */
  connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client)
    this.connecting ??= (async () => {
      const client = new Client({ name: `warden-gateway/${this.name}`, version: '0.1.0' })
      const transport = this.transport()
      transport.onclose = () => this.lost(client)
      await client.connect(transport)
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        await this.refreshTools(client).catch((error: unknown) =>
          this.logger.error('tool list refresh failed', { upstream: this.name, error: String(error) }),
        )
      })
      await this.refreshTools(client)
      this.client = client
      this.backoff = 250
      this.logger.info('upstream connected', { upstream: this.name, tools: this.tools.length })
      return client
    })().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private lost(client: Client): void {
    if (this.client !== client && this.client !== undefined) return
    this.client = undefined
    if (this.stopped) return
    const delay = this.backoff
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF)
    this.logger.warn('upstream lost; reconnecting', { upstream: this.name, inMs: delay })
    setTimeout(() => {
      if (!this.stopped)
        this.connect().catch((error: unknown) =>
          this.logger.error('upstream reconnect failed', { upstream: this.name, error: String(error) }),
        )
    }, delay).unref()
  }

  private async refreshTools(client: Client): Promise<void> {
    const tools: ToolDefinition[] = []
    let cursor: string | undefined
    do {
      const page = await client.listTools(cursor ? { cursor } : {})
      tools.push(...(page.tools as unknown as ToolDefinition[]))
      cursor = page.nextCursor
    } while (cursor)
    this.tools = tools
    const synced = await this.catalog.sync(this.name, tools, this.config.sensitivity)
    if (synced.quarantined.length > 0) {
      this.logger.warn('tool definitions changed; quarantined until approved', {
        upstream: this.name,
        tools: synced.quarantined,
      })
    }
  }

  /** The connected client, or `UPSTREAM_UNAVAILABLE`. */
  async use(): Promise<Client> {
    try {
      return await this.connect()
    } catch (cause) {
      throw new WardenError('UPSTREAM_UNAVAILABLE', `upstream \`${this.name}\` is unavailable`, { cause })
    }
  }

  /** The stdio server's process id while connected (for operators and tests). */
  processId(): number | null {
    const transport = this.client?.transport
    return transport instanceof StdioClientTransport ? transport.pid : null
  }

  /** The upstream's current tool definitions (as last listed). */
  listedTools(): readonly ToolDefinition[] {
    return this.tools
  }

  async close(): Promise<void> {
    this.stopped = true
    const client = this.client
    this.client = undefined
    await client?.close().catch(() => undefined)
  }
}
