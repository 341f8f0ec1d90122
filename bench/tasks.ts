import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose'
import { composeWarden } from '../src/compose.js'
import { configSchema } from '../src/config/index.js'
import { type Figure, measure, round, type Suite } from './harness.js'

const URL_ = 'http://localhost/v1/authorize'

async function proof(key: CryptoKey, jwk: JWK, i: number, ath?: string): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: URL_, jti: `p${i}-${Math.random()}`, ...(ath ? { ath } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt()
    .sign(key)
}

/** Task-token issue, verify with a DPoP proof, and the time from close to refusal; bare jose as the baseline. */
export async function benchTasks(): Promise<Suite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-tasks-'))
  const warden = await composeWarden(configSchema.parse({ dataDir }))
  try {
    const { agents, joinTokens, attestation } = warden.identity
    const { lifecycle } = warden.tasks
    await agents.register({
      name: 'bench',
      owner: 'bench@example.com',
      tier: 'high',
      entitlements: ['read_file', 'search'],
      delegatesTo: [],
      codeDigest: null,
    })
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const attested = await attestation.attest({
      attestMethod: 'join_token',
      token: (await joinTokens.create('bench')).token,
      publicKey: jwk,
      proof: await new SignJWT({ htm: 'POST', htu: 'http://localhost/v1/attest', jti: 'a' })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey),
      method: 'POST',
      url: 'http://localhost/v1/attest',
    })
    const openProof = (i: number) =>
      new SignJWT({ htm: 'POST', htu: 'http://localhost/v1/tasks', jti: `o${i}`, ath: athOf(attested.svid) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey)

    const open = await measure(
      'task_open',
      async (i) =>
        lifecycle.open(
          attested.svid,
          { proof: await openProof(i), method: 'POST', url: 'http://localhost/v1/tasks', scheme: 'DPoP' },
          {
            purpose: 'bench',
          },
        ),
      { warmup: 20, iterations: 300 },
    )
    const task = await lifecycle.open(
      attested.svid,
      { proof: await openProof(-1), method: 'POST', url: 'http://localhost/v1/tasks', scheme: 'DPoP' },
      { purpose: 'bench' },
    )
    const ath = athOf(task.token)
    // Proofs are signed ahead of time so that only Warden's side is timed.
    const proofs = await Promise.all(Array.from({ length: 2300 }, (_, i) => proof(privateKey, jwk, i, ath)))
    const verify = await measure('task_token_verify_dpop', (i) =>
      lifecycle.authenticate(task.token, { proof: proofs[i], method: 'POST', url: URL_, scheme: 'DPoP' }),
    )
    const baseline = await measure('jose_verify_x2', async () => {
      await jwtVerify(task.token, warden.identity.keys.verificationKeys())
      await jwtVerify(proofs[0] as string, publicKey, { typ: 'dpop+jwt' })
    })

    // Close to refusal: how long after close() returns is the next use refused (it is the next check).
    const closeTimes: number[] = []
    for (let i = 0; i < 50; i++) {
      const t = await lifecycle.open(
        attested.svid,
        {
          proof: await openProof(10_000 + i),
          method: 'POST',
          url: 'http://localhost/v1/tasks',
          scheme: 'DPoP',
        },
        {
          purpose: 'close',
        },
      )
      const p = await proof(privateKey, jwk, 20_000 + i, athOf(t.token))
      const start = process.hrtime.bigint()
      await lifecycle.close(await warden.tasks.registry.require(t.taskId), 'bench')
      const refused = await lifecycle
        .authenticate(t.token, { proof: p, method: 'POST', url: URL_, scheme: 'DPoP' })
        .then(
          () => false,
          () => true,
        )
      if (!refused) throw new Error('a closed task was not refused')
      closeTimes.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    closeTimes.sort((a, b) => a - b)
    const closeToRefusal: Figure = {
      name: 'close_to_refusal',
      ops: closeTimes.length,
      medianUs: closeTimes[Math.floor(closeTimes.length / 2)] ?? 0,
      p99Us: closeTimes[closeTimes.length - 1] ?? 0,
      perSecond: 0,
    }
    return {
      rows: [
        { figure: baseline },
        { figure: verify, baseline },
        { figure: open },
        { figure: closeToRefusal },
      ],
      figures: {
        task_open_per_s: Math.round(open.perSecond),
        task_token_verify_dpop_per_s: Math.round(verify.perSecond),
        task_token_verify_dpop_median_us: round(verify.medianUs),
        task_token_verify_vs_jose: round(verify.medianUs / baseline.medianUs),
        task_close_to_refusal_median_us: round(closeToRefusal.medianUs),
      },
    }
  } finally {
    await warden.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function athOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
