import { createHash } from 'node:crypto'
import { type ActivityChain, canonicalJson } from '../chain/index.js'
import { type Clock, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/** How sensitive the data behind a tool or resource is. */
export type Sensitivity = 'public' | 'internal' | 'confidential' | 'restricted'
export const SENSITIVITIES: readonly Sensitivity[] = ['public', 'internal', 'confidential', 'restricted']

/** An MCP tool definition as `tools/list` returns it. */
export interface ToolDefinition {
  name: string
  title?: string
  description?: string
  inputSchema: Record<string, unknown>
  annotations?: {
    title?: string
    readOnlyHint?: boolean
    destructiveHint?: boolean
    idempotentHint?: boolean
    openWorldHint?: boolean
  }
}

/** A tool as Warden knows it: the pinned definition and its standing. */
export interface CatalogTool {
  server: string
  name: string
  definition: ToolDefinition
  /** SHA-256 of the canonical name, description, input schema and annotations. */
  digest: string
  sensitivity: Sensitivity
  /** `approved`: calls may be decided; `quarantined`: its definition changed since it was pinned. */
  status: 'approved' | 'quarantined'
  /** The changed definition waiting for re-approval, when quarantined. */
  pending: ToolDefinition | null
  firstSeen: number
  updatedAt: number
}

interface ToolRow {
  server: string
  name: string
  definition: string
  digest: string
  pending_definition: string | null
  sensitivity: Sensitivity
  status: CatalogTool['status']
  first_seen: number
  updated_at: number
}

function toTool(row: ToolRow): CatalogTool {
  return {
    server: row.server,
    name: row.name,
    definition: JSON.parse(row.definition) as ToolDefinition,
    digest: row.digest,
    sensitivity: row.sensitivity,
    status: row.status,
    pending: row.pending_definition ? (JSON.parse(row.pending_definition) as ToolDefinition) : null,
    firstSeen: row.first_seen,
    updatedAt: row.updated_at,
  }
}

/** The digest that pins a tool: what a user approved is exactly what runs. */
export function toolDigest(definition: ToolDefinition): string {
  const pinned = {
    name: definition.name,
    description: definition.description ?? '',
    inputSchema: definition.inputSchema,
    annotations: definition.annotations ?? {},
  }
  return `sha256:${createHash('sha256').update(canonicalJson(pinned)).digest('hex')}`
}

/** A catalog entry for a definition that is not stored (policy tests, `warden policy check`). */
export function unstoredTool(
  server: string,
  definition: ToolDefinition,
  sensitivity: Sensitivity = 'internal',
): CatalogTool {
  return {
    server,
    name: definition.name,
    definition,
    digest: toolDigest(definition),
    sensitivity,
    status: 'approved',
    pending: null,
    firstSeen: 0,
    updatedAt: 0,
  }
}

/** What syncing a server's tool list changed. */
export interface SyncResult {
  added: string[]
  unchanged: string[]
  /** Tools whose definition changed behind the user's back: quarantined until re-approved. */
  quarantined: string[]
}

/**
 * The tool catalog: each server's tools, pinned at first approval by the digest of their definition. A later
 * `tools/list` with a different definition quarantines the tool (a rug pull) until an admin approves it again.
 */
export class ToolCatalog {
  private readonly listeners: Array<() => Promise<void>> = []

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Where an operator's approval is recorded (`tool.approve`); none in read-only uses (reports). */
    private readonly chain?: ActivityChain,
  ) {}

  /** Calls `listener` after every change; the change is acknowledged once every listener has finished. */
  onChange(listener: () => Promise<void>): void {
    this.listeners.push(listener)
  }

  private async changed(): Promise<void> {
    await Promise.all(this.listeners.map((listener) => listener()))
  }

  /** Records a server's current tool list: new tools are pinned, changed ones quarantined. */
  async sync(
    server: string,
    definitions: readonly ToolDefinition[],
    sensitivity: Sensitivity = 'internal',
  ): Promise<SyncResult> {
    const result: SyncResult = { added: [], unchanged: [], quarantined: [] }
    const now = this.clock.now()
    await this.store.transaction(async (tx) => {
      for (const definition of definitions) {
        const digest = toolDigest(definition)
        const row = await tx.get<ToolRow>(`SELECT * FROM tools WHERE server = ? AND name = ?`, [
          server,
          definition.name,
        ])
        if (!row) {
          await tx.run(
            `INSERT INTO tools (server, name, definition, digest, sensitivity, status, first_seen, updated_at)
             VALUES (?, ?, ?, ?, ?, 'approved', ?, ?)`,
            [server, definition.name, JSON.stringify(definition), digest, sensitivity, now, now],
          )
          result.added.push(definition.name)
        } else if (row.digest === digest) {
          result.unchanged.push(definition.name)
        } else {
          await tx.run(
            `UPDATE tools SET status = 'quarantined', pending_definition = ?, pending_digest = ?, updated_at = ?
             WHERE server = ? AND name = ?`,
            [JSON.stringify(definition), digest, now, server, definition.name],
          )
          result.quarantined.push(definition.name)
        }
      }
    })
    if (result.added.length > 0 || result.quarantined.length > 0) await this.changed()
    return result
  }

  /** Approves a quarantined tool's new definition, which becomes the pinned one; `operator` is recorded. */
  async approve(server: string, name: string, operator?: string): Promise<CatalogTool> {
    const tool = await this.require(server, name)
    if (tool.status === 'quarantined' && tool.pending) {
      await this.store.run(
        `UPDATE tools SET definition = pending_definition, digest = pending_digest, pending_definition = NULL,
         pending_digest = NULL, status = 'approved', updated_at = ? WHERE server = ? AND name = ?`,
        [this.clock.now(), server, name],
      )
      await this.chain?.append({
        kind: 'tool.approve',
        body: { operator: operator ?? null, server, tool: name, digest: toolDigest(tool.pending) },
      })
      await this.changed()
    }
    return this.require(server, name)
  }

  /** Sets how sensitive a tool's data is. */
  async setSensitivity(server: string, name: string, sensitivity: Sensitivity): Promise<CatalogTool> {
    const changed = await this.store.run(
      `UPDATE tools SET sensitivity = ?, updated_at = ? WHERE server = ? AND name = ?`,
      [sensitivity, this.clock.now(), server, name],
    )
    if (changed === 0) throw new WardenError('TOOL_NOT_FOUND', `no tool \`${name}\` on server \`${server}\``)
    await this.changed()
    return this.require(server, name)
  }

  async get(server: string, name: string): Promise<CatalogTool | undefined> {
    const row = await this.store.get<ToolRow>(`SELECT * FROM tools WHERE server = ? AND name = ?`, [
      server,
      name,
    ])
    return row && toTool(row)
  }

  async require(server: string, name: string): Promise<CatalogTool> {
    const tool = await this.get(server, name)
    if (!tool) throw new WardenError('TOOL_NOT_FOUND', `no tool \`${name}\` on server \`${server}\``)
    return tool
  }

  /** Every tool, or one server's. */
  async list(server?: string): Promise<CatalogTool[]> {
    const rows = await this.store.all<ToolRow>(
      `SELECT * FROM tools WHERE (CAST(? AS TEXT) IS NULL OR server = ?) ORDER BY server, name`,
      [server ?? null, server ?? null],
    )
    return rows.map(toTool)
  }

  /** Servers that offer a tool of this name. */
  async serversOf(name: string): Promise<string[]> {
    const rows = await this.store.all<{ server: string }>(
      `SELECT server FROM tools WHERE name = ? ORDER BY server`,
      [name],
    )
    return rows.map((row) => row.server)
  }
}
