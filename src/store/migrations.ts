import type { Store } from './store.js'

/**
 * Numbered schema migrations, applied in order, each once, inside a transaction.
 *
 * | version | what changed |
 * | ------- | ------------ |
 * | 1       | agents, join tokens, instances, proof replay cache, identity events, settings |
 * | 2       | the activity chain: events, head, signed checkpoints; identity events move into it |
 * | 3       | tasks (with delegation path), secrets (encrypted), leases |
 * | 4       | the tool catalog: pinned tool definitions per server |
 * | 5       | approvals bound to one exact call; owner credentials |
 * | 6       | shared key material (encrypted under the deployment's KEK), rate-limit counters; on PostgreSQL, the
 * |         | triggers that fan revocations out to every node (`NOTIFY warden`) |
 * | 7       | approvals keep the redacted arguments and the answer's reason; owners' webhook secrets (sealed); the |
 * |         | webhook outbox (one row per delivery, claimed by one node at a time) |
 *
 * SQL here runs on SQLite and PostgreSQL alike: TEXT, BIGINT, no AUTOINCREMENT, no vendor functions — except in
 * `postgres`, statements that only PostgreSQL runs (after `sql`, in the same transaction).
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: readonly string[]
  readonly postgres?: readonly string[]
}

/**
 * A statement-level trigger that tells every node listening on `warden` that a table changed (payload:
 * `schema.table`). NOTIFY is transactional: it is delivered when, and only if, the change commits — a node that
 * commits a revocation cannot die between the commit and the fan-out.
 */
function notifyOn(table: string, events: string): string {
  return `CREATE TRIGGER warden_notify_${table} AFTER ${events} ON ${table}
    FOR EACH STATEMENT EXECUTE FUNCTION warden_notify()`
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'identity',
    sql: [
      `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        tier TEXT NOT NULL,
        entitlements TEXT NOT NULL,
        delegates_to TEXT NOT NULL,
        code_digest TEXT,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE join_tokens (
        token_hash TEXT PRIMARY KEY,
        agent TEXT NOT NULL REFERENCES agents(name),
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        agent TEXT NOT NULL REFERENCES agents(name),
        spiffe_id TEXT NOT NULL UNIQUE,
        jkt TEXT NOT NULL UNIQUE,
        method TEXT NOT NULL,
        subject TEXT NOT NULL,
        code_digest TEXT,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        quarantined_at BIGINT,
        quarantine_reason TEXT,
        last_svid_at BIGINT
      )`,
      `CREATE INDEX instances_agent ON instances(agent)`,
      `CREATE TABLE proof_jtis (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)`,
      `CREATE INDEX proof_jtis_expiry ON proof_jtis(expires_at)`,
      `CREATE TABLE identity_events (
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        ts BIGINT NOT NULL,
        kind TEXT NOT NULL,
        agent TEXT,
        subject TEXT,
        body TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'activity-chain',
    sql: [
      `CREATE TABLE chain_events (
        v INTEGER NOT NULL,
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL,
        ts BIGINT NOT NULL,
        task TEXT,
        agent TEXT,
        kind TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        body TEXT NOT NULL,
        redacted TEXT NOT NULL
      )`,
      `CREATE INDEX chain_events_task ON chain_events(task, seq)`,
      `CREATE INDEX chain_events_agent ON chain_events(agent, seq)`,
      `CREATE INDEX chain_events_ts ON chain_events(ts)`,
      `CREATE TABLE chain_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)`,
      `INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}')`,
      `CREATE TABLE chain_checkpoints (
        seq BIGINT PRIMARY KEY,
        hash TEXT NOT NULL,
        ts BIGINT NOT NULL,
        kid TEXT NOT NULL,
        signature TEXT NOT NULL
      )`,
      `DROP TABLE identity_events`,
    ],
  },
  {
    version: 3,
    name: 'tasks',
    sql: [
      `CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        agent TEXT NOT NULL REFERENCES agents(name),
        instance_id TEXT NOT NULL REFERENCES instances(id),
        spiffe_id TEXT NOT NULL,
        principal TEXT NOT NULL,
        parent TEXT REFERENCES tasks(id),
        path TEXT NOT NULL,
        depth INTEGER NOT NULL,
        tier TEXT NOT NULL,
        scope TEXT NOT NULL,
        intent TEXT NOT NULL,
        intent_digest TEXT NOT NULL,
        act TEXT,
        status TEXT NOT NULL,
        close_reason TEXT,
        opened_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        closed_at BIGINT
      )`,
      `CREATE INDEX tasks_path ON tasks(path)`,
      `CREATE INDEX tasks_open ON tasks(status, expires_at)`,
      `CREATE INDEX tasks_agent ON tasks(agent, opened_at)`,
      `CREATE TABLE secrets (name TEXT PRIMARY KEY, ciphertext TEXT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE TABLE leases (
        id TEXT PRIMARY KEY,
        task TEXT NOT NULL REFERENCES tasks(id),
        secret TEXT NOT NULL,
        provider TEXT NOT NULL,
        handle TEXT,
        status TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
      )`,
      `CREATE INDEX leases_task ON leases(task)`,
    ],
  },
  {
    version: 4,
    name: 'tool-catalog',
    sql: [
      `CREATE TABLE tools (
        server TEXT NOT NULL,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        digest TEXT NOT NULL,
        pending_definition TEXT,
        pending_digest TEXT,
        sensitivity TEXT NOT NULL,
        status TEXT NOT NULL,
        first_seen BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (server, name)
      )`,
    ],
  },
  {
    version: 5,
    name: 'approvals',
    sql: [
      `CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        task TEXT NOT NULL,
        agent TEXT NOT NULL,
        owner TEXT NOT NULL,
        server TEXT,
        tool TEXT,
        call_digest TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        reasons TEXT NOT NULL,
        signals TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        decided_at BIGINT,
        decided_by TEXT
      )`,
      `CREATE INDEX approvals_call ON approvals(call_digest, status)`,
      `CREATE INDEX approvals_status ON approvals(status, created_at)`,
      `CREATE TABLE owner_tokens (token_hash TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 6,
    name: 'cluster',
    sql: [
      `CREATE TABLE shared_keys (name TEXT PRIMARY KEY, sealed TEXT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE TABLE rate_counters (
        key TEXT NOT NULL,
        window_start BIGINT NOT NULL,
        count BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (key, window_start)
      )`,
      `CREATE INDEX rate_counters_expiry ON rate_counters(expires_at)`,
    ],
    postgres: [
      // Revocations (a task closed, an instance quarantined, an agent disabled), the tool catalog, approvals
      // answered and keys rotated: each node drops what it cached of them. Inserts of tasks are not revocations.
      `CREATE OR REPLACE FUNCTION warden_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('warden', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); RETURN NULL; END $$`,
      notifyOn('tasks', 'UPDATE OF status OR DELETE'),
      notifyOn('instances', 'UPDATE OF status OR DELETE'),
      notifyOn('agents', 'UPDATE OR DELETE'),
      notifyOn('tools', 'INSERT OR UPDATE OR DELETE'),
      notifyOn('approvals', 'UPDATE'),
      notifyOn('shared_keys', 'INSERT OR UPDATE OR DELETE'),
    ],
  },
  {
    version: 7,
    name: 'webhook-outbox',
    sql: [
      // Rows from before this version have none of these: they show no arguments (null), not empty ones.
      `ALTER TABLE approvals ADD COLUMN arguments TEXT`,
      `ALTER TABLE approvals ADD COLUMN redacted TEXT`,
      `ALTER TABLE approvals ADD COLUMN sensitivity TEXT`,
      `ALTER TABLE approvals ADD COLUMN answer_reason TEXT`,
      `CREATE TABLE owner_webhook_secrets (
        owner TEXT PRIMARY KEY,
        sealed TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revealed_at BIGINT
      )`,
      `CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        approval TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_at BIGINT NOT NULL,
        claimed_until BIGINT,
        expires_at BIGINT NOT NULL,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        delivered_at BIGINT
      )`,
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at)`,
    ],
  },
]

/**
 * On PostgreSQL, nodes starting together migrate one at a time: each migration's transaction first takes a
 * transaction-scoped advisory lock (one per schema), so the second node waits, then finds the version applied.
 */
async function lockMigrations(tx: Store): Promise<void> {
  if (tx.dialect === 'postgres')
    await tx.get(`SELECT pg_advisory_xact_lock(hashtext('warden.migrate.' || current_schema()))`)
}

/** Applies every migration newer than the store's version; returns the versions applied. */
export async function migrate(store: Store, now: number): Promise<number[]> {
  await store.transaction(async (tx) => {
    await lockMigrations(tx)
    await tx.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
    )
  })
  const applied: number[] = []
  for (const migration of MIGRATIONS) {
    const done = await store.transaction(async (tx) => {
      await lockMigrations(tx)
      const row = await tx.get<{ version: number }>(
        `SELECT version FROM schema_migrations WHERE version = ?`,
        [migration.version],
      )
      if (row) return false
      for (const statement of migration.sql) await tx.run(statement)
      if (tx.dialect === 'postgres') for (const statement of migration.postgres ?? []) await tx.run(statement)
      await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [
        migration.version,
        migration.name,
        now,
      ])
      return true
    })
    if (done) applied.push(migration.version)
  }
  return applied
}
