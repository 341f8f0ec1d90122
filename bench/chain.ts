import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { parsePublicKey, verifyChain } from '../src/chain/index.js'
import { composeWarden } from '../src/compose.js'
import { configSchema } from '../src/config/index.js'
import { type Figure, measure, round, type Suite } from './harness.js'

const BODY = {
  tool: 'read_file',
  arguments: { path: '/srv/reports/q3.csv' },
  decision: 'allow',
  labels: ['internal'],
}

/** Durable appends (group commit), verification, and a 10,000-event task query, next to raw SQLite and SHA-256. */
export async function benchChain(): Promise<Suite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-chain-'))
  const warden = await composeWarden(configSchema.parse({ dataDir }))
  try {
    // Baseline: the same row shape inserted into SQLite (WAL, synchronous=FULL) in batches of 256, no hashing.
    const raw = new Database(join(dataDir, 'baseline.db'))
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = FULL')
    raw.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, task TEXT, hash TEXT, record TEXT)')
    const insert = raw.prepare('INSERT INTO t (seq, task, hash, record) VALUES (?, ?, ?, ?)')
    const record = JSON.stringify(BODY)
    let rawSeq = 0
    const rawBatch = raw.transaction(() => {
      for (let i = 0; i < 256; i++) insert.run(++rawSeq, 'task', 'h'.repeat(64), record)
    })
    const sqliteBatch = await measure('sqlite_full_insert_x256', () => rawBatch(), {
      warmup: 5,
      iterations: 60,
    })
    const sqliteRowsPerS = sqliteBatch.perSecond * 256
    raw.close()

    // Warden: 256 appends in flight, each awaited until durable.
    const inflight = 256
    const append = await measure(
      'chain_append_x256',
      () =>
        Promise.all(
          Array.from({ length: inflight }, (_, i) =>
            warden.chain.append({
              kind: 'tool.call',
              task: `task-${i % 8}`,
              agent: 'spiffe://warden.local/agent/b/i',
              body: BODY,
            }),
          ),
        ),
      { warmup: 5, iterations: 60 },
    )
    const appendPerS = append.perSecond * inflight

    // A task with 10,000 events among others.
    const big = Array.from({ length: 10_000 }, () => ({
      kind: 'tool.call' as const,
      task: 'big-task',
      body: BODY,
    }))
    for (let i = 0; i < big.length; i += 1000)
      await Promise.all(big.slice(i, i + 1000).map((e) => warden.chain.append(e)))
    const query = await measure(
      'task_query_10k',
      () => warden.chain.query({ task: 'big-task', limit: 10_000 }),
      {
        warmup: 3,
        iterations: 20,
      },
    )
    await warden.chain.checkpoint()

    const publicKey = parsePublicKey(readFileSync(join(dataDir, 'keys', 'chain-public.pem'), 'utf8'))
    const head = await warden.chain.head()
    const verify = await measure('chain_verify_all', () => verifyChain(warden.chain, publicKey), {
      warmup: 1,
      iterations: 5,
    })
    const verifyPerS = head.seq / (verify.medianUs / 1e6)
    const sha = await measure(
      'sha256_link',
      (i) =>
        createHash('sha256')
          .update(`${i}\n${'0'.repeat(64)}\n${record}`)
          .digest('hex'),
      {
        warmup: 1000,
        iterations: 20_000,
      },
    )

    const perRecord = (f: Figure, n: number, name: string): Figure => ({
      ...f,
      name,
      medianUs: f.medianUs / n,
      p99Us: f.p99Us / n,
      perSecond: f.perSecond * n,
    })
    const appendRow = perRecord(append, inflight, 'chain_append (per record)')
    const sqliteRow = perRecord(sqliteBatch, 256, 'sqlite_full_insert (per row)')
    const verifyRow = perRecord(verify, head.seq, 'chain_verify (per record)')
    return {
      rows: [
        { figure: sqliteRow },
        { figure: appendRow, baseline: sqliteRow },
        { figure: sha },
        { figure: verifyRow, baseline: sha },
        { figure: query },
      ],
      figures: {
        chain_append_per_s: Math.round(appendPerS),
        chain_append_vs_sqlite_insert: round(sqliteRowsPerS / appendPerS),
        chain_verify_per_s: Math.round(verifyPerS),
        chain_verify_records: head.seq,
        chain_task_query_10k_ms: round(query.medianUs / 1000),
        sqlite_full_insert_rows_per_s: Math.round(sqliteRowsPerS),
      },
    }
  } finally {
    await warden.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
