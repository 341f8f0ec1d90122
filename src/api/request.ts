import type { Context } from 'hono'
import type { z } from 'zod'
import { describeIssues } from '../config/index.js'
import type { ProofContext } from '../identity/index.js'
import { WardenError } from '../kernel/index.js'

/** Parses the JSON body with `schema`; malformed JSON or a failed check is `BAD_REQUEST` naming the field. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown
  try {
    raw = await c.req.json()
  } catch (cause) {
    if (cause instanceof WardenError) throw cause
    throw new WardenError('BAD_REQUEST', 'the request body is not valid JSON', { cause })
  }
  const result = schema.safeParse(raw)
  if (!result.success) throw new WardenError('BAD_REQUEST', describeIssues(result.error.issues))
  return result.data
}

/** The URL a proof of possession must name: the public URL when configured, else the request's own. */
export function requestUrl(c: Context, publicUrl: string | undefined): string {
  const url = new URL(c.req.url)
  return publicUrl ? new URL(url.pathname, publicUrl).toString() : `${url.origin}${url.pathname}`
}

/** The credential of a request: `Authorization: DPoP <token>` (or `Bearer`) and the `DPoP` proof header. */
export function presentedToken(
  c: Context,
  publicUrl: string | undefined,
): { token: string; context: ProofContext } {
  const match = /^(DPoP|Bearer)\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
  if (!match?.[2])
    throw new WardenError('TOKEN_INVALID', 'a token is required: `Authorization: DPoP <token>`')
  return {
    token: match[2],
    context: {
      proof: c.req.header('dpop'),
      method: c.req.method,
      url: requestUrl(c, publicUrl),
      scheme: match[1],
    },
  }
}
