import { open } from 'node:fs/promises'
import { WardenError } from '../kernel/index.js'
import type { Checkpoint } from './checkpoint-key.js'

/**
 * Somewhere outside the store that keeps a copy of every signed checkpoint, so truncation, a rewrite and a
 * rollback of the store are caught by `warden chain verify --checkpoint` against that copy (RFC 9162's signed
 * tree heads, gossiped; Ma & Tsudik's truncation attack is undetectable from inside the log alone).
 */
export interface CheckpointWitness {
  readonly name: string
  push(checkpoint: Checkpoint): Promise<void>
}

/** The checkpoint as a witness keeps it: exactly what verification needs. */
function witnessed(cp: Checkpoint): Checkpoint {
  return { seq: cp.seq, hash: cp.hash, ts: cp.ts, kid: cp.kid, signature: cp.signature }
}

/**
 * Appends each checkpoint as one JSON line to a file, flushed to disk before the push resolves; put it on another
 * volume (or a mount only the witness may rewrite). The file is what `--checkpoint` reads.
 */
export function fileWitness(path: string): CheckpointWitness {
  return {
    name: `file:${path}`,
    push: async (cp) => {
      const handle = await open(path, 'a', 0o600)
      try {
        await handle.appendFile(`${JSON.stringify(witnessed(cp))}\n`)
        await handle.datasync()
      } finally {
        await handle.close()
      }
    },
  }
}

/** POSTs each checkpoint as JSON to an HTTP endpoint (a transparency log, another team's store). */
export function httpWitness(url: string, headers: Record<string, string> = {}): CheckpointWitness {
  return {
    name: `http:${new URL(url).origin}`,
    push: async (cp) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(witnessed(cp)),
        signal: AbortSignal.timeout(5_000),
      })
      if (!response.ok) {
        throw new WardenError('STORE_UNAVAILABLE', `the checkpoint witness answered ${response.status}`)
      }
    },
  }
}

/**
 * Reads checkpoints kept outside Warden: one JSON object (`warden chain checkpoint` output), a JSON array, or JSON
 * lines (a file witness). Anything else is refused: a verification anchor must not be half-read.
 */
export function parseCheckpoints(text: string): Checkpoint[] {
  const trimmed = text.trim()
  let values: unknown[]
  try {
    values = trimmed.startsWith('[')
      ? (JSON.parse(trimmed) as unknown[])
      : trimmed
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown)
  } catch (cause) {
    throw new WardenError('BAD_REQUEST', 'the checkpoint file is not JSON or JSON lines', { cause })
  }
  if (values.length === 0) throw new WardenError('BAD_REQUEST', 'the checkpoint file holds no checkpoint')
  return values.map((value) => {
    const cp = value as Partial<Checkpoint>
    if (
      !Number.isSafeInteger(cp.seq) ||
      typeof cp.hash !== 'string' ||
      !Number.isSafeInteger(cp.ts) ||
      typeof cp.kid !== 'string' ||
      typeof cp.signature !== 'string'
    ) {
      throw new WardenError('BAD_REQUEST', 'a checkpoint needs `seq`, `hash`, `ts`, `kid` and `signature`')
    }
    return witnessed(cp as Checkpoint)
  })
}
