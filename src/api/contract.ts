import { z } from 'zod'
import { parseDuration } from '../kernel/index.js'

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

/** `PATCH /v1/agents/NAME`: any of the registration's fields but the name. */
export const updateAgentBody = z
  .object({
    owner: z.email().optional(),
    tier: z.enum(['critical', 'high', 'standard', 'low']).optional(),
    entitlements: z.array(toolName).max(1000).optional(),
    delegatesTo: z.array(agentName).max(100).optional(),
    codeDigest: z
      .string()
      .regex(/^sha(256|384|512):[0-9a-f]+$/, 'a digest like `sha256:<hex>`')
      .nullable()
      .optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change')

/** `POST /v1/agents/disable`: the kill switch. */
export const disableAllBody = z.object({ reason: z.string().min(1).max(1000) }).strict()

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

/** An answer to an approval request: the reason is optional, recorded in the chain when given. */
export const answerBody = z.object({ reason: z.string().trim().min(1).max(1000).optional() }).strict()

/** Shows an owner's webhook secret once, or (`rotate`) replaces it with a new one shown once. */
export const webhookSecretBody = z.object({ rotate: z.boolean().default(false) }).strict()

export const openTaskBody = z
  .object({
    intent: z
      .object({
        purpose: z.string().min(1).max(1000),
        prompt: z.string().max(20_000).optional(),
        tools: z.array(toolName).max(500).optional(),
        resources: z.array(z.string().min(1).max(1000)).max(500).optional(),
        dataClasses: z.array(z.string().min(1).max(100)).max(50).optional(),
        /** Seconds, or a duration like `30m`. */
        maxDuration: z
          .union([z.number().positive(), z.string()])
          .transform((value, ctx) => {
            const ms = parseDuration(value)
            if (ms === undefined || ms <= 0) {
              ctx.addIssue({ code: 'custom', message: 'a duration like `30m`' })
              return z.NEVER
            }
            return ms
          })
          .optional(),
      })
      .strict(),
  })
  .strict()
export type OpenTaskBody = z.input<typeof openTaskBody>

export const closeTaskBody = z
  .object({ reason: z.string().min(1).max(1000).default('closed by caller') })
  .strict()
export const leaseBody = z.object({ secret: z.string().min(1).max(100) }).strict()
export const secretBody = z.object({ value: z.string().min(1).max(65_536) }).strict()

export const authorizeBody = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('tools/call'),
      server: z.string().min(1).max(100).optional(),
      tool: toolName,
      args: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({
      action: z.literal('resources/read'),
      server: z.string().min(1),
      uri: z.string().min(1).max(4096),
    })
    .strict(),
  z
    .object({
      action: z.literal('prompts/get'),
      server: z.string().min(1),
      name: z.string().min(1),
      args: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({ action: z.enum(['tools/list', 'resources/list', 'prompts/list']), server: z.string().min(1) })
    .strict(),
])
export type AuthorizeBody = z.input<typeof authorizeBody>

const toolDefinition = z.looseObject({
  name: toolName,
  title: z.string().optional(),
  description: z.string().max(20_000).optional(),
  // MCP requires `type: "object"`; servers that leave it out (GitLab's) are taken as they are.
  inputSchema: z.looseObject({ type: z.literal('object').optional() }),
  annotations: z
    .looseObject({
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .optional(),
})

export const resultBody = z
  .object({
    call: z.string().min(1).max(100),
    output: z.string().max(4_000_000),
    error: z.string().max(10_000).optional(),
  })
  .strict()

const sensitivity = z.enum(['public', 'internal', 'confidential', 'restricted'])

export const syncToolsBody = z
  .object({ tools: z.array(toolDefinition).max(1000), sensitivity: sensitivity.default('internal') })
  .strict()
export const sensitivityBody = z.object({ sensitivity }).strict()

/** The error envelope every non-2xx response carries. */
export interface ErrorBody {
  code: string
  message: string
  details?: unknown
}
