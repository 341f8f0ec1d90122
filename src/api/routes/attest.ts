import { Hono } from 'hono'
import type { Warden } from '../../compose.js'
import type { IssuedSvid } from '../../identity/index.js'
import { WardenError } from '../../kernel/index.js'
import { attestBody } from '../contract.js'
import { readBody, requestUrl } from '../request.js'

function issuedBody(issued: IssuedSvid) {
  return {
    instanceId: issued.instanceId,
    spiffeId: issued.spiffeId,
    svid: issued.svid,
    expiresAt: new Date(issued.expiresAt).toISOString(),
  }
}

/** Attestation and SVID renewal; both need a DPoP proof by the instance's key. */
export function attestRoutes(warden: Warden): Hono {
  const { attestation } = warden.identity
  const publicUrl = warden.config.server.publicUrl
  const app = new Hono()

  app.post('/attest', async (c) => {
    const body = await readBody(c, attestBody)
    const issued = await attestation.attest({
      attestMethod: body.method,
      token: body.token,
      publicKey: body.publicKey,
      codeDigest: body.codeDigest,
      proof: c.req.header('dpop'),
      method: c.req.method,
      url: requestUrl(c, publicUrl),
    })
    c.header('cache-control', 'no-store')
    return c.json(issuedBody(issued), 201)
  })

  app.post('/svid/renew', async (c) => {
    const match = /^(DPoP|Bearer)\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
    if (!match?.[2]) throw new WardenError('TOKEN_INVALID', 'renewal needs `Authorization: DPoP <svid>`')
    const issued = await attestation.renew(match[2], {
      proof: c.req.header('dpop'),
      method: c.req.method,
      url: requestUrl(c, publicUrl),
      scheme: match[1],
    })
    c.header('cache-control', 'no-store')
    return c.json(issuedBody(issued), 201)
  })
  return app
}
