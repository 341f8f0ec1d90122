import type { KeyObject } from 'node:crypto'
import { type ChainRow, eventHash } from './activity-chain.js'
import { GENESIS_HASH } from './activity-event.js'
import { type Checkpoint, isCheckpointSigned } from './checkpoint-key.js'

/** What verification found wrong, named for the person reading the report. */
export type ChainDamage =
  | 'record_missing'
  | 'record_out_of_order'
  | 'link_broken'
  | 'record_edited'
  | 'checkpoint_forged'
  | 'checkpoint_mismatch'
  | 'tail_truncated'
  | 'unanchored'
  | 'checkpoint_stale'

export type ChainVerdict =
  | { ok: true; records: number; head: { seq: number; hash: string }; checkpoints: number }
  | { ok: false; seq: number; damage: ChainDamage; message: string; records: number }

/** What verification reads: rows in seq order and the signed checkpoints. */
export interface ChainSource {
  rows(fromSeq: number, limit: number): Promise<ChainRow[]>
  checkpoints(): Promise<Checkpoint[]>
}

const PAGE = 5000

/** What verification is given besides the store. */
export interface VerifyOptions {
  /** Start at this seq (default 1). */
  from?: number
  /**
   * Signed checkpoints kept outside the store (exported earlier, or a witness's copy). Each must be signed by the
   * key, and the chain must still hold its record at its seq with its hash: a truncated tail, a chain rewritten
   * without the key, or a store rolled back to an older backup each fail against one of them.
   */
  anchors?: readonly Checkpoint[]
  /**
   * Refuse a chain that no signed checkpoint vouches for (`unanchored`): without one, anyone with write access can
   * rewrite the whole chain and its links still agree. Offline verification of a store (`warden chain verify`)
   * sets it; a live view of the newest records, which may precede the first checkpoint, need not.
   */
  requireCheckpoint?: boolean
  /** When set, the newest checkpoint (stored or given) must be at most this old (milliseconds) at `now`. */
  maxCheckpointAge?: number
  /** Now, in epoch milliseconds (for `maxCheckpointAge`). */
  now?: number
}

/**
 * Verifies the chain from `from` (default 1) with nothing but the stored rows and the deployment's public key:
 * gap-free seq, each `prev` equal to the previous `hash`, each `hash` recomputed over every stored field, every
 * checkpoint signed and matching the record at its seq, and none beyond the tail.
 * Stops at the first damage and names its seq.
 */
export async function verifyChain(
  source: ChainSource,
  publicKey: KeyObject,
  options: VerifyOptions = {},
): Promise<ChainVerdict> {
  const from = Math.max(1, options.from ?? 1)
  const stored = await source.checkpoints()
  const anchors = options.anchors ?? []
  const checkpoints = [...stored, ...anchors]
  const forged = checkpoints.find((cp) => !isCheckpointSigned(cp, publicKey))
  if (forged) {
    return fail(
      forged.seq,
      'checkpoint_forged',
      `checkpoint at seq ${forged.seq} is not signed by the given key`,
      0,
    )
  }
  // A checkpoint given from outside that disagrees with a stored one at the same seq: the store was rewritten.
  const expectedAt = new Map<number, string>()
  for (const cp of checkpoints.filter((c) => c.seq >= from)) {
    const seen = expectedAt.get(cp.seq)
    if (seen !== undefined && seen !== cp.hash) {
      return fail(cp.seq, 'checkpoint_mismatch', `two signed checkpoints disagree at seq ${cp.seq}`, 0)
    }
    expectedAt.set(cp.seq, cp.hash)
  }

  let expectedSeq = from
  let prevHash: string | undefined = from === 1 ? GENESIS_HASH : undefined
  let records = 0
  for (;;) {
    const page = await source.rows(expectedSeq, PAGE)
    for (const row of page) {
      if (row.seq !== expectedSeq) {
        return row.seq > expectedSeq
          ? fail(expectedSeq, 'record_missing', `records ${expectedSeq}..${row.seq - 1} are missing`, records)
          : fail(
              row.seq,
              'record_out_of_order',
              `record ${row.seq} appears after ${expectedSeq - 1}`,
              records,
            )
      }
      // INVARIANT: seq is gap-free and each record names its predecessor's hash.
      if (prevHash !== undefined && row.prev !== prevHash) {
        return fail(
          row.seq,
          'link_broken',
          `record ${row.seq} does not follow record ${row.seq - 1}`,
          records,
        )
      }
      if (eventHash(row) !== row.hash) {
        return fail(row.seq, 'record_edited', `record ${row.seq} does not match its hash`, records)
      }
      const checkpointHash = expectedAt.get(row.seq)
      if (checkpointHash !== undefined && checkpointHash !== row.hash) {
        return fail(
          row.seq,
          'checkpoint_mismatch',
          `record ${row.seq} differs from its signed checkpoint`,
          records,
        )
      }
      prevHash = row.hash
      expectedSeq += 1
      records += 1
    }
    if (page.length < PAGE) break
  }
  const lastSeq = expectedSeq - 1
  const beyond = checkpoints.find((cp) => cp.seq > lastSeq)
  if (beyond) {
    return fail(
      lastSeq + 1,
      'tail_truncated',
      `a checkpoint vouches for seq ${beyond.seq} but the chain ends at ${lastSeq}`,
      records,
    )
  }
  // INVARIANT: a chain no signature vouches for is not intact — without a checkpoint, anyone with write access
  // can rewrite it whole and the links still agree (Ma & Tsudik 2008).
  if (options.requireCheckpoint && lastSeq > 0 && checkpoints.length === 0) {
    return fail(1, 'unanchored', 'no signed checkpoint vouches for the chain', records)
  }
  if (options.maxCheckpointAge !== undefined && checkpoints.length > 0) {
    const newest = Math.max(...checkpoints.map((cp) => cp.ts))
    const age = (options.now ?? Date.now()) - newest
    if (age > options.maxCheckpointAge) {
      return fail(
        lastSeq + 1,
        'checkpoint_stale',
        `the newest signed checkpoint is ${Math.round(age / 1000)} s old, more than ${Math.round(options.maxCheckpointAge / 1000)} s allowed (rolled back?)`,
        records,
      )
    }
  }
  return {
    ok: true,
    records,
    head: { seq: lastSeq, hash: prevHash ?? GENESIS_HASH },
    checkpoints: checkpoints.length,
  }
}

function fail(seq: number, damage: ChainDamage, message: string, records: number): ChainVerdict {
  return { ok: false, seq, damage, message, records }
}
