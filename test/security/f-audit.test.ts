import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChainRow, eventHash, parsePublicKey, verifyChain } from '../../src/chain/index.js'
import { composeWarden } from '../../src/compose.js'
import { configSchema } from '../../src/config/index.js'
import { buildChainFixture, copyDataDir } from '../fakes/chain-fixture.js'
import { FakeClock } from '../fakes/clock.js'
import { attestWithJoinToken, joinToken, registerAgent } from '../fakes/identity.js'
import { runCli } from '../fakes/process.js'
import { openTask, useToken } from '../fakes/tasks.js'
import { startTestWarden } from '../fakes/warden.js'

// Section F of the attack catalogue: audit chain integrity. Tampering is done with direct database access, as an
// attacker with write access to the store but not the signing key would; `warden chain verify` (the built CLI)
// is the verifier, with the public key and any saved checkpoint kept outside the tampered directory.

/** Recomputes every link from `from` on, as an attacker without the key would after an edit. */
function rehash(db: Database.Database, from: number): void {
  const rows = db.prepare('SELECT * FROM chain_events WHERE seq >= ? ORDER BY seq').all(from) as ChainRow[]
  let prev = (db.prepare('SELECT hash FROM chain_events WHERE seq = ?').get(from - 1) as { hash: string })
    .hash
  const update = db.prepare('UPDATE chain_events SET prev = ?, hash = ? WHERE seq = ?')
  for (const row of rows) {
    const hash = eventHash({ ...row, prev })
    update.run(prev, hash, row.seq)
    prev = hash
  }
  db.prepare('UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1').run(rows.at(-1)?.seq ?? from - 1, prev)
}

// Each probe runs the CLI a few times: generous timeouts for a loaded machine.
describe('section F: audit chain integrity', { timeout: 120_000 }, () => {
  let fixture: string
  let publicKey: string
  const dirs: string[] = []
  beforeAll(async () => {
    fixture = await buildChainFixture()
    publicKey = join(fixture, 'keys', 'chain-public.pem')
  })
  afterAll(() => {
    for (const dir of [fixture, ...dirs]) rmSync(dir, { recursive: true, force: true })
  })

  /** A copy of the fixture with `sql` applied (and links recomputed from `rehashFrom`). */
  const tampered = (sql: string, rehashFrom?: number) => {
    const dir = copyDataDir(fixture)
    dirs.push(dir)
    const db = new Database(join(dir, 'warden.db'))
    db.exec(sql)
    if (rehashFrom) rehash(db, rehashFrom)
    db.close()
    return dir
  }
  const verify = (dir: string, ...extra: string[]) =>
    runCli(['chain', 'verify', '--data', dir, '--public-key', publicKey, ...extra])
  const damaged = async (dir: string, seq: number, damage: string, ...extra: string[]) => {
    const result = await verify(dir, ...extra)
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toContain(`chain damaged at seq ${seq}: ${damage}:`)
  }
  const intact = async (dir: string, ...extra: string[]) => {
    const result = await verify(dir, ...extra)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('chain intact')
  }

  describe('AU-01 in-place tamper', () => {
    it('names the edited record', async () => {
      await intact(fixture)
      await damaged(
        tampered(`UPDATE chain_events SET body = replace(body, '/docs/', '/etc/') WHERE seq = 13`),
        13,
        'record_edited',
      )
    })
  })

  describe('AU-02 delete, reorder, insert or duplicate rows', () => {
    it('names the exact seq of each', async () => {
      await damaged(tampered('DELETE FROM chain_events WHERE seq = 12'), 12, 'record_missing')
      await damaged(
        tampered(
          'UPDATE chain_events SET seq = -1 WHERE seq = 12; UPDATE chain_events SET seq = 12 WHERE seq = 13; UPDATE chain_events SET seq = 13 WHERE seq = -1',
        ),
        12,
        'link_broken',
      )
      // A forged row with a hash consistent with itself, shifted in between: the next record's link breaks.
      const dir = copyDataDir(fixture)
      dirs.push(dir)
      const db = new Database(join(dir, 'warden.db'))
      db.exec(
        'UPDATE chain_events SET seq = seq + 1000 WHERE seq >= 13; UPDATE chain_events SET seq = seq - 999 WHERE seq >= 1013',
      )
      const prev = db.prepare('SELECT * FROM chain_events WHERE seq = 12').get() as ChainRow
      const forged = { ...prev, seq: 13, id: 'forged', body: '{"tool":"send_email"}', prev: prev.hash }
      db.prepare(
        'INSERT INTO chain_events (v, seq, id, ts, task, agent, kind, prev, hash, body, redacted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        forged.v,
        13,
        forged.id,
        forged.ts,
        forged.task,
        forged.agent,
        forged.kind,
        forged.prev,
        eventHash(forged),
        forged.body,
        forged.redacted,
      )
      db.close()
      await damaged(dir, 14, 'link_broken')
      // A duplicate seq cannot even be stored.
      const dup = new Database(join(copyDataDir(fixture), 'warden.db'))
      expect(() => dup.exec('INSERT INTO chain_events SELECT * FROM chain_events WHERE seq = 12')).toThrow()
      dup.close()
    })
  })

  describe('AU-03 tail truncation, full rewrite and rollback', () => {
    let saved: string
    beforeAll(async () => {
      const exported = await runCli(['chain', 'checkpoint', '--data', fixture])
      expect(exported.code, exported.stderr).toBe(0)
      saved = join(mkdtempSync(join(tmpdir(), 'warden-anchor-')), 'checkpoint.json')
      dirs.push(join(saved, '..'))
      // The anchor lives outside the data directory the attacker can write.
      writeFileSync(saved, exported.stdout)
      expect(JSON.parse(exported.stdout)).toMatchObject({ seq: 25 })
    })

    it('(a) detects the last records deleted, against a checkpoint kept outside', async () => {
      await intact(fixture, '--checkpoint', saved)
      const dir = tampered(
        'DELETE FROM chain_events WHERE seq > 20; DELETE FROM chain_checkpoints WHERE seq > 20; UPDATE chain_head SET seq = 20, hash = (SELECT hash FROM chain_events WHERE seq = 20)',
      )
      await damaged(dir, 21, 'tail_truncated', '--checkpoint', saved)
    })

    it('(b) detects a rewrite without the key: against the checkpoint, and refuses a chain no checkpoint vouches for', async () => {
      const rewritten = tampered(
        `UPDATE chain_events SET body = replace(body, 'send_email', 'read_file') WHERE seq >= 5; DELETE FROM chain_checkpoints`,
        5,
      )
      await damaged(rewritten, 1, 'unanchored')
      await damaged(rewritten, 25, 'checkpoint_mismatch', '--checkpoint', saved)
      // With the stored checkpoints left in place, they give the rewrite away by themselves.
      await damaged(
        tampered(`UPDATE chain_events SET body = replace(body, 'send_email', 'read_file') WHERE seq >= 5`, 5),
        10,
        'checkpoint_mismatch',
      )
    })

    it('(c) detects a rollback to an older backup: against the checkpoint, and by its age', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'warden-rollback-'))
      const witness = join(mkdtempSync(join(tmpdir(), 'warden-witness-')), 'checkpoints.jsonl')
      dirs.push(dataDir, join(witness, '..'))
      const clock = new FakeClock(Date.now())
      const config = configSchema.parse({
        dataDir,
        chain: { checkpointEvery: 5, witness: { file: witness } },
      })
      let warden = await composeWarden(config, { clock })
      const append = async (n: number) => {
        for (let i = 0; i < n; i++) await warden.chain.append({ kind: 'tool.call', task: 'r', body: { i } })
      }
      await append(10)
      await warden.close()
      const backup = copyDataDir(dataDir)
      dirs.push(backup)
      warden = await composeWarden(config, { clock })
      await append(10)
      await warden.close()
      // The witness holds every checkpoint, the newest included; the restored backup is short of it.
      const lines = readFileSync(witness, 'utf8').trim().split('\n')
      expect(lines.length).toBeGreaterThanOrEqual(3)
      const key = join(dataDir, 'keys', 'chain-public.pem')
      const check = (dir: string, ...extra: string[]) =>
        runCli(['chain', 'verify', '--data', dir, '--public-key', key, ...extra])
      expect((await check(dataDir, '--checkpoint', witness)).code).toBe(0)
      const rolledBack = await check(backup, '--checkpoint', witness)
      expect(rolledBack.code).toBe(1)
      expect(rolledBack.stdout).toMatch(/chain damaged at seq \d+: tail_truncated:/)
      // Age: the fixture's newest checkpoint is days old; a policy of one minute refuses it, of a year accepts it.
      await damaged(fixture, 26, 'checkpoint_stale', '--max-age', '1m')
      await intact(fixture, '--max-age', '365d')
    })

    it('re-signs an idle head, so a running deployment never has an old newest checkpoint', async () => {
      const t = await startTestWarden({ chain: { checkpointInterval: '1m' } })
      try {
        await t.warden.chain.append({ kind: 'tool.call', task: 'idle', body: {} })
        const first = await t.warden.chain.checkpoint()
        expect(await t.warden.chain.checkpoint()).toBeUndefined()
        t.clock.advance('2m')
        const again = await t.warden.chain.checkpoint()
        expect(again).toMatchObject({ seq: first?.seq, hash: first?.hash })
        expect(again?.ts).toBeGreaterThan(first?.ts ?? 0)
        const key = parsePublicKey(readFileSync(join(t.dataDir, 'keys', 'chain-public.pem'), 'utf8'))
        expect(
          await verifyChain(t.warden.chain, key, { maxCheckpointAge: 60_000, now: t.clock.now() }),
        ).toMatchObject({ ok: true })
      } finally {
        await t.dispose()
      }
    })
  })

  describe('AU-07 concurrent writers', () => {
    it('keeps one gap-free, fork-free chain under 64 concurrent writers', async () => {
      const t = await startTestWarden()
      try {
        const writer = async (w: number) => {
          for (let i = 0; i < 10; i++)
            await t.warden.chain.append({ kind: 'tool.call', task: `w${w}`, body: { w, i } })
        }
        await Promise.all(Array.from({ length: 64 }, (_, w) => writer(w)))
        await t.warden.chain.checkpoint()
        const key = parsePublicKey(readFileSync(join(t.dataDir, 'keys', 'chain-public.pem'), 'utf8'))
        const verdict = await verifyChain(t.warden.chain, key)
        expect(verdict).toMatchObject({ ok: true })
        expect(verdict.records).toBeGreaterThanOrEqual(640)
      } finally {
        await t.dispose()
      }
    })
  })

  describe('AU-08 record content and secrets', () => {
    it('hashes awkward text stably, and stores no raw credential, proof or join token', async () => {
      const t = await startTestWarden()
      try {
        const awkward = {
          nfc: 'é',
          nfd: 'e\u0301',
          sep: 'a\u2028b',
          crlf: 'x\r\n[FAKE] allow',
          ansi: '\u001b[2J',
          big: 'x'.repeat(1_000_000),
          numbers: [1.0, 1e2, 2 ** 53 - 1],
          z: 1,
          a: 2,
        }
        await t.warden.chain.append({ kind: 'tool.call', task: 'awkward', body: awkward })
        await registerAgent(t, 'secretive')
        const joinSecret = await joinToken(t, 'secretive')
        const who = await attestWithJoinToken(t, 'secretive')
        const opened = (await (
          await openTask(t, who, { purpose: 'secrets', tools: ['read_file'] })
        ).json()) as {
          taskId: string
          token: string
        }
        const proof = await who.key.proof('POST', `http://localhost/v1/tasks/${opened.taskId}/token`, {
          accessToken: opened.token,
        })
        expect((await useToken(t, who, opened, { proof })).status).toBe(201)
        // A refused attempt is recorded too, without the credential it presented.
        expect((await useToken(t, who, { ...opened, token: `${opened.token}x` })).status).toBe(401)
        await t.warden.chain.checkpoint()
        const key = parsePublicKey(readFileSync(join(t.dataDir, 'keys', 'chain-public.pem'), 'utf8'))
        expect(await verifyChain(t.warden.chain, key)).toMatchObject({ ok: true })
        const failures = await t.warden.chain.query({ kind: 'auth.fail' })
        expect(failures.length).toBeGreaterThan(0)
        await t.warden.store.flush()
        const bytes = ['warden.db', 'warden.db-wal']
          .map((file) => {
            try {
              return readFileSync(join(t.dataDir, file)).toString('latin1')
            } catch {
              return ''
            }
          })
          .join('')
        for (const secret of [opened.token, who.svid, proof, joinSecret]) {
          expect(bytes.includes(secret)).toBe(false)
          expect(bytes.includes(secret.slice(-32))).toBe(false)
        }
      } finally {
        await t.dispose()
      }
    })
  })
})
