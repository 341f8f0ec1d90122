import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { composeWarden } from '../../src/compose.js'
import { configSchema } from '../../src/config/index.js'
import { FakeClock } from './clock.js'

/**
 * Builds a data directory holding a 25-record chain (record 1 is the first key rotation), one record at a time,
 * with `checkpointEvery: 10`, so checkpoints sit at 10, 20 and — from shutdown — 25.
 */
export async function buildChainFixture(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-chain-'))
  const clock = new FakeClock()
  const warden = await composeWarden(configSchema.parse({ dataDir, chain: { checkpointEvery: 10 } }), {
    clock,
  })
  const tools = ['read_file', 'search', 'send_email']
  for (let i = 0; i < 24; i++) {
    clock.advance('1s')
    await warden.chain.append({
      kind: i % 3 === 2 ? 'tool.result' : 'tool.call',
      task: i % 2 === 0 ? 'task-a' : 'task-b',
      agent: 'spiffe://warden.local/agent/billing/abc',
      body: { tool: tools[i % 3], arguments: { path: `/docs/${i}.txt` } },
    })
  }
  await warden.close()
  return dataDir
}

/** A copy of a data directory, to tamper with. */
export function copyDataDir(dataDir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'warden-chain-copy-'))
  cpSync(dataDir, copy, { recursive: true })
  return copy
}
