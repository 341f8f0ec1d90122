import { createHash } from 'node:crypto'
import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { WardenAgent } from '../../src/sdk/index.js'

async function agentWith(alg: 'ES256' | 'EdDSA'): Promise<WardenAgent> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return WardenAgent.restore({
    url: 'http://127.0.0.1:1',
    alg,
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
    instanceId: 'i',
    spiffeId: 'spiffe://example.org/agent/i',
    svid: '',
    expiresAt: '',
  })
}

describe('WardenAgent DPoP proofs', () => {
  it.each(['ES256', 'EdDSA'] as const)(
    'signs a %s proof that verifies under its own public key, with the RFC 9449 claims',
    async (alg) => {
      const agent = await agentWith(alg)
      const proof = await agent.proof('POST', 'http://warden.test/mcp/files', 'the-token')
      const header = decodeProtectedHeader(proof)
      expect(header).toMatchObject({ alg, typ: 'dpop+jwt' })
      const { payload } = await jwtVerify(proof, await importJWK(header.jwk as never, alg), {
        typ: 'dpop+jwt',
      })
      expect(payload).toMatchObject({
        htm: 'POST',
        htu: 'http://warden.test/mcp/files',
        ath: createHash('sha256').update('the-token').digest('base64url'),
      })
      expect(typeof payload.jti).toBe('string')
      expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(5)
      // Each proof is single use: a fresh jti every time.
      const again = await agent.proof('POST', 'http://warden.test/mcp/files', 'the-token')
      expect(decodeProtectedHeader(again).jwk).toEqual(header.jwk)
      expect((await jwtVerify(again, await importJWK(header.jwk as never, alg))).payload.jti).not.toBe(
        payload.jti,
      )
    },
  )

  it('makes a proof that does not verify once its claims are changed, nor under another key', async () => {
    const agent = await agentWith('ES256')
    const proof = await agent.proof('GET', 'http://warden.test/x')
    const [head, , signature] = proof.split('.')
    const forged = `${head}.${Buffer.from(JSON.stringify({ htm: 'POST', htu: 'http://warden.test/x', jti: 'j', iat: 1 })).toString('base64url')}.${signature}`
    const key = await importJWK(decodeProtectedHeader(proof).jwk as never, 'ES256')
    await expect(jwtVerify(forged, key)).rejects.toThrow()
    const other = await agentWith('ES256')
    const otherKey = await importJWK(
      decodeProtectedHeader(await other.proof('GET', 'x')).jwk as never,
      'ES256',
    )
    await expect(jwtVerify(proof, otherKey)).rejects.toThrow()
    // Positive control: untouched, under its own key, it verifies.
    await expect(jwtVerify(proof, key)).resolves.toBeDefined()
  })
})
