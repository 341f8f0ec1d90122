import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ActivityEventV1 } from '../../src/chain/index.js'
import type { ChainReplayDecision } from '../../src/enforcement/index.js'
import { runCli } from '../fakes/process.js'

describe('warden demo, exported and replayed', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-demo-replay-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it("reproduces every one of the demo's decisions, the stopped planted write included", async () => {
    const data = join(root, 'data')
    const demo = await runCli(['demo', '--keep', data, '--no-serve'])
    expect(demo.code, demo.stderr).toBe(0)
    const exported = await runCli(['chain', 'export', '--data', data])
    expect(exported.code, exported.stderr).toBe(0)
    const file = join(root, 'export.jsonl')
    writeFileSync(file, exported.stdout)
    const decisions = exported.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ActivityEventV1)
      .filter((record) => record.kind === 'decision')

    const run = await runCli(['replay', file, '--data', data])
    expect(run.code, run.stderr).toBe(0)
    const replayed = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ChainReplayDecision)
    expect(replayed.map((d) => d.seq)).toEqual(decisions.map((d) => d.seq))
    for (const d of replayed) {
      expect({
        effect: d.replayed.effect,
        reasons: [...d.replayed.reasons].sort(),
        signals: [...d.replayed.signals].sort(),
      }).toEqual({
        effect: d.recorded.effect,
        reasons: [...d.recorded.reasons].sort(),
        signals: [...d.recorded.signals].sort(),
      })
    }
    // The planted write is denied again by the detectors run over the recorded history (provenance through the
    // outputs' keyed fingerprints), not copied from its record.
    const planted = replayed.find((d) => d.recorded.effect === 'deny' && d.tool === 'write_file')
    expect(planted?.behaviour).toBe('detected')
    expect(planted?.replayed.signals).toContain('untrusted_provenance')
    expect(replayed.filter((d) => d.recorded.effect === 'allow').length).toBeGreaterThan(0)
    expect(run.stderr).toContain(`${decisions.length} unchanged, 0 changed`)

    // Negative control: under another fingerprint key the outputs' recorded fingerprints match nothing, and the
    // detectors can no longer trace the written value to the planted output.
    const other = join(root, 'other-key')
    cpSync(data, other, { recursive: true })
    writeFileSync(
      join(other, 'keys', 'fingerprint.json'),
      JSON.stringify({ key: randomBytes(32).toString('base64url') }),
    )
    const blind = await runCli(['replay', file, '--data', other])
    const blindPlanted = blind.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ChainReplayDecision)
      .find((d) => d.seq === planted?.seq)
    expect(blindPlanted?.replayed.signals).not.toContain('untrusted_provenance')
  }, 120_000)
})
