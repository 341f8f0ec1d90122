import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { composeWarden } from '../src/compose.js'
import { configSchema } from '../src/config/index.js'
import { type Figure, measure, round, type Suite } from './harness.js'

/** SVID issue and verify, and full attestation, next to bare jose in the same process. */
export async function benchIdentity(): Promise<Suite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-'))
  const warden = await composeWarden(configSchema.parse({ dataDir }))
  try {
    const { agents, instances, svids, attestation, joinTokens } = warden.identity
    await agents.register({
      name: 'bench',
      owner: 'bench@example.com',
      tier: 'standard',
      entitlements: [],
      delegatesTo: [],
      codeDigest: null,
    })
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const publicJwk = await exportJWK(publicKey)
    const instance = await instances.create({
      id: 'bench0instance00',
      agent: 'bench',
      spiffeId: 'spiffe://warden.local/agent/bench/bench0instance00',
      jkt: await calculateJwkThumbprint(publicJwk),
      method: 'join_token',
      subject: 'bench',
      codeDigest: null,
    })

    // Baselines: bare jose with the same algorithm and claims, no store.
    const raw = await generateKeyPair('ES256')
    const rawSign = () =>
      new SignJWT({ cnf: { jkt: 'x'.repeat(43) } })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer('spiffe://warden.local')
        .setSubject(instance.spiffeId)
        .setAudience('warden')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j')
        .sign(raw.privateKey)
    const rawToken = await rawSign()
    const joseSign = await measure('jose_sign_es256', rawSign)
    const joseVerify = await measure('jose_verify_es256', () =>
      jwtVerify(rawToken, raw.publicKey, { audience: 'warden', issuer: 'spiffe://warden.local' }),
    )

    const issue = await measure('svid_issue', () => svids.issue(instance), { iterations: 1000 })
    const { svid } = await svids.issue(instance)
    const verify = await measure('svid_verify', () => svids.verify(svid))

    // Full attestation: proof of possession, single-use join token, new instance, SVID.
    const tokens: string[] = []
    const keys: Array<{ proof: string; jwk: typeof publicJwk }> = []
    const n = 300
    for (let i = 0; i < n + 30; i++) {
      tokens.push((await joinTokens.create('bench')).token)
      const pair = await generateKeyPair('ES256')
      const jwk = await exportJWK(pair.publicKey)
      const proof = await new SignJWT({ htm: 'POST', htu: 'http://localhost/v1/attest', jti: `j${i}` })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(pair.privateKey)
      keys.push({ proof, jwk })
    }
    const attest = await measure(
      'attest_join_token',
      (i) =>
        attestation.attest({
          attestMethod: 'join_token',
          token: tokens[i] as string,
          publicKey: keys[i]?.jwk as typeof publicJwk,
          proof: keys[i]?.proof,
          method: 'POST',
          url: 'http://localhost/v1/attest',
        }),
      { warmup: 30, iterations: n },
    )
    void privateKey

    const rows: Array<{ figure: Figure; baseline?: Figure }> = [
      { figure: joseSign },
      { figure: joseVerify },
      { figure: issue, baseline: joseSign },
      { figure: verify, baseline: joseVerify },
      { figure: attest, baseline: joseVerify },
    ]
    return {
      rows,
      figures: {
        svid_issue_per_s: Math.round(issue.perSecond),
        svid_issue_median_us: round(issue.medianUs),
        svid_issue_vs_jose_sign: round(issue.medianUs / joseSign.medianUs),
        svid_verify_per_s: Math.round(verify.perSecond),
        svid_verify_median_us: round(verify.medianUs),
        svid_verify_vs_jose_verify: round(verify.medianUs / joseVerify.medianUs),
        attest_join_token_per_s: Math.round(attest.perSecond),
        attest_join_token_median_us: round(attest.medianUs),
        jose_sign_es256_per_s: Math.round(joseSign.perSecond),
        jose_verify_es256_per_s: Math.round(joseVerify.perSecond),
      },
    }
  } finally {
    await warden.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
