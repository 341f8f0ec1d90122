import { z } from 'zod'

/** Request bodies of the HTTP API, validated at the edge; the dashboard shares these types. */
const agentName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, `.`, `_`, `-`')
const toolName = z.string().min(1).max(200)

export const registerAgentBody = z
  .object({
    name: agentName,
    owner: z.email(),
    tier: z.enum(['critical', 'high', 'standard', 'low']),
    entitlements: z.array(toolName).max(1000).default([]),
    delegatesTo: z.array(agentName).max(100).default([]),
    codeDigest: z
      .string()
      .regex(/^sha(256|384|512):[0-9a-f]+$/, 'a digest like `sha256:<hex>`')
      .nullable()
      .default(null),
  })
  .strict()
export type RegisterAgentBody = z.input<typeof registerAgentBody>

export const attestBody = z
  .object({
    method: z.enum(['join_token', 'oidc', 'spiffe_jwt']),
    token: z.string().min(1).max(16_384),
    publicKey: z.looseObject({ kty: z.enum(['EC', 'OKP', 'RSA']) }),
    codeDigest: z.string().max(200).optional(),
  })
  .strict()
export type AttestBody = z.input<typeof attestBody>

export const quarantineBody = z.object({ reason: z.string().min(1).max(1000) }).strict()

/** The error envelope every non-2xx response carries. */
export interface ErrorBody {
  code: string
  message: string
  details?: unknown
}
