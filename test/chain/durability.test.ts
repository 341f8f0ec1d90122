import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ChainReader, parsePublicKey, verifyChain } from '../../src/chain/index.js'
import { SqliteStore } from '../../src/store/index.js'

const SCRIPT = fileURLToPath(new URL('../fixtures/append-until-killed.mjs', import.meta.url))

/** Runs the appender until it has acknowledged `atLeast` records, then SIGKILLs it; returns what it acknowledged. */
async function appendThenKill(dataDir: string, atLeast: number): Promise<Map<number, string>> {
  const child = spawn(process.execPath, [SCRIPT, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const acked = new Map<number, string>()
  let buffer = ''
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`appender exited early with ${code}`)))
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        const [seq, id] = line.split(' ')
        if (id) acked.set(Number(seq), id)
      }
      if (acked.size >= atLeast) resolve()
    })
  })
  child.removeAllListeners('exit')
  child.kill('SIGKILL')
  await once(child, 'exit')
  return acked
}

describe('chain durability', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-kill-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('keeps every acknowledged record and an intact chain across repeated SIGKILLs under heavy append', async () => {
    const all = new Map<number, string>()
    for (let round = 0; round < 3; round++) {
      for (const [seq, id] of await appendThenKill(dataDir, 3000)) all.set(seq, id)

      const store = new SqliteStore(join(dataDir, 'warden.db'))
      try {
        const reader = new ChainReader(store)
        const publicKey = parsePublicKey(readFileSync(join(dataDir, 'keys', 'chain-public.pem'), 'utf8'))
        const verdict = await verifyChain(reader, publicKey)
        expect(verdict.ok, JSON.stringify(verdict)).toBe(true)
        const missing: number[] = []
        for (let from = 1; ; from += 5000) {
          const rows = await reader.rows(from, 5000)
          const stored = new Map(rows.map((row) => [row.seq, row.id]))
          for (const [seq, id] of all)
            if (seq >= from && seq < from + 5000 && stored.get(seq) !== id) missing.push(seq)
          if (rows.length < 5000) break
        }
        expect(missing).toEqual([])
      } finally {
        await store.close()
      }
    }
    expect(all.size).toBeGreaterThanOrEqual(9000)
  }, 120_000)
})
