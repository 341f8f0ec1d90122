import { z } from 'zod'
import { parseDuration } from '../kernel/index.js'

/** A duration written `30s`, `5m`, `24h`, `7d` (or seconds as a number), parsed to milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a positive duration like \`30s\`, \`5m\`, \`24h\`` })
    return z.NEVER
  }
  return ms
})

/** What an operator may do, widest last: `admin` does everything (docs/decisions/015). */
export const OPERATOR_ROLES = ['viewer', 'approver', 'policy', 'admin'] as const
/** An operator's role. */
export type OperatorRole = (typeof OPERATOR_ROLES)[number]

const agentName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, `.`, `_`, `-`')

/** Where an issuer's or a federated trust domain's keys come from. */
const keySource = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ url: z.url() }).strict(),
])

/** A claim rule: every listed claim must match its value (`*` matches within one `:`- or `/`-separated segment). */
const claimRule = z
  .object({
    claims: z.record(z.string(), z.string()).refine((c) => Object.keys(c).length > 0, 'at least one claim'),
    agent: agentName,
  })
  .strict()

const oidcIssuer = z
  .object({
    name: z.string().min(1),
    issuer: z.string().min(1),
    jwks: keySource,
    audience: z.string().min(1),
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']))
      .default(['RS256', 'ES256', 'EdDSA']),
    /** A claim whose value is the workload's code digest (e.g. an image digest), checked against the registry. */
    digestClaim: z.string().optional(),
    /** The longest lifetime (`exp − iat`, and `exp − now`) of a token accepted from this issuer. */
    maxLifetime: duration.default(86_400_000),
    rules: z.array(claimRule).min(1),
  })
  .strict()

const spiffeRule = z.object({ id: z.string().startsWith('spiffe://'), agent: agentName }).strict()

const federation = z
  .object({
    trustDomain: z.string().min(1),
    bundle: keySource,
    audience: z.string().min(1),
    /** When set, the `iss` every JWT-SVID of this trust domain must carry. */
    issuer: z.string().min(1).optional(),
    /** The longest lifetime (`exp − iat`, and `exp − now`) of a JWT-SVID accepted from this trust domain. */
    maxLifetime: duration.default(3_600_000),
    rules: z.array(spiffeRule).min(1),
  })
  .strict()

const signingAlg = z.enum(['ES256', 'EdDSA'])

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
const rateLimit = z
  .object({ burst: z.coerce.number().int().positive(), perSecond: z.coerce.number().positive() })
  .strict()

/** The whole of `warden.yaml`, with defaults. */
export const configSchema = z
  .object({
    trustDomain: z
      .string()
      .regex(/^[a-z0-9._-]+$/, 'a SPIFFE trust domain: lowercase letters, digits, `.`, `_`, `-`')
      .default('warden.local'),
    dataDir: z.string().min(1).default('./.warden'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.coerce.number().int().min(0).max(65535).default(8700),
        /** The URL clients use to reach Warden; DPoP `htu` is checked against it. Defaults to the request's own. */
        publicUrl: z.url().optional(),
        /** Extra `Host` names accepted besides localhost and `host` (DNS-rebinding protection). */
        allowedHosts: z.array(z.string()).default([]),
        /** Browser origins allowed to call the API. */
        allowedOrigins: z.array(z.string()).default([]),
        bodyLimitBytes: z.coerce.number().int().positive().default(1_048_576),
        /** On SIGTERM/SIGINT, how long open requests and streams may finish before they are closed. */
        shutdownTimeout: duration.default(10_000),
        /** Structure of a JSON body, refused with 400 before it is parsed (docs/decisions/008). */
        jsonLimits: z
          .object({
            depth: z.coerce.number().int().positive().default(64),
            keys: z.coerce.number().int().positive().default(1000),
            elements: z.coerce.number().int().positive().default(10_000),
            /** Keys and elements in the whole body. */
            members: z.coerce.number().int().positive().default(20_000),
          })
          .strict()
          .prefault({}),
        /**
         * Credential routes (attest, renew, task tokens, exchange): failed requests per client address, issued
         * credentials per principal; past the burst, 429 with `Retry-After`.
         */
        rateLimits: z
          .object({
            failures: rateLimit.prefault({ burst: 100, perSecond: 20 }),
            issued: rateLimit.prefault({ burst: 200, perSecond: 100 }),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    store: z
      .discriminatedUnion('kind', [
        z
          .object({
            kind: z.literal('sqlite'),
            /**
             * `full`: every commit is flushed to stable storage (survives power loss). `normal`: a commit survives
             * a crash of Warden but may be lost with the last moments before a power loss (SQLite WAL,
             * synchronous=NORMAL), at a fraction of the latency.
             */
            durability: z.enum(['full', 'normal']).default('full'),
          })
          .strict(),
        z
          .object({
            kind: z.literal('postgres'),
            url: z.string().min(1),
            /**
             * The key-encryption key every node is given: the shared signing, checkpoint, fingerprint and secrets
             * keys are kept in the store sealed under it. A file here, or the key itself in `WARDEN_KEK`.
             */
            keyEncryptionKey: z
              .object({ file: z.string().min(1) })
              .strict()
              .optional(),
          })
          .strict(),
      ])
      .default({ kind: 'sqlite', durability: 'full' }),
    identity: z
      .object({
        /** `iss` of SVIDs and task tokens. */
        issuer: z.string().optional(),
        svidTtl: duration.default(300_000),
        svidAudience: z.string().default('warden'),
        signingAlg: signingAlg.default('ES256'),
        /** How long a signing key signs before a new one takes over; the old one keeps verifying its tokens. */
        keyRotation: duration.default(86_400_000),
        joinTokenTtl: duration.default(3_600_000),
        /** How old a proof of possession (DPoP `iat`) may be. */
        proofMaxAge: duration.default(60_000),
        clockSkew: duration.default(5_000),
        oidc: z.array(oidcIssuer).default([]),
        federation: z.array(federation).default([]),
      })
      .strict()
      .prefault({}),
    tasks: z
      .object({
        /** `aud` of task tokens; never the SVID audience, so neither can stand in for the other. */
        audience: z.string().default('warden:tasks'),
        /** Longest task-token lifetime per tier; refresh while the task is open. */
        tokenTtl: z
          .object({
            critical: duration.default(300_000),
            high: duration.default(600_000),
            standard: duration.default(900_000),
            low: duration.default(3_600_000),
          })
          .strict()
          .prefault({}),
        /**
         * Tiers whose task tokens are bound to the instance's key (`cnf.jkt`) and need a DPoP proof (`ath`) under
         * the `DPoP` scheme on every use. Any other tier gets unbound bearer tokens.
         */
        proofRequired: z
          .array(z.enum(['critical', 'high', 'standard', 'low']))
          .default(['critical', 'high', 'standard', 'low']),
        /** Tiers whose task is revoked when its token is presented by another key or instance. */
        revokeOnReuse: z.array(z.enum(['critical', 'high', 'standard', 'low'])).default(['critical', 'high']),
        /** Default and largest `maxDuration` of a task; past it the task closes by itself. */
        defaultMaxDuration: duration.default(3_600_000),
        maxDuration: duration.default(86_400_000),
        maxDelegationDepth: z.coerce.number().int().min(0).max(16).default(3),
        /** How often tasks past their maximum duration are closed (and their leases revoked). */
        sweepInterval: duration.default(30_000),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        /** A directory of `.cedar` files; the shipped tier templates when unset. */
        dir: z.string().min(1).optional(),
        /** Reload on change; an invalid set is refused and the last good one keeps serving. */
        watch: z.boolean().default(true),
        /**
         * Also have Cedar check each request against the schema. Off by default: policies are strictly validated
         * at load, arguments against the tool's JSON Schema and its typed form before Cedar, and the context is
         * built to the schema — the per-request check doubles the decision's cost (docs/decisions/002).
         */
        validateRequests: z.boolean().default(false),
        /** Load a set that permits nothing (it denies every call); by default such a set is refused as a mistake. */
        allowEmpty: z.boolean().default(false),
        /**
         * A candidate set decided beside the one in force on every call, never changing an outcome: each call it
         * decides otherwise is recorded (`decision.shadow`, `warden policy diff`).
         */
        shadow: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Rate limits and quotas on tool calls, counted in the store every node shares: at most `calls` per
     * `window` for each agent, each tool (`server/tool`) or each task; with `per: task` and no window, a quota
     * over the task's life. `tools` / `agents` narrow what counts. Policies see the counts as `context.usage`.
     */
    limits: z
      .array(
        z
          .object({
            per: z.enum(['agent', 'tool', 'task']),
            calls: z.number().int().positive(),
            window: duration.optional(),
            tools: z.array(z.string().min(1)).optional(),
            agents: z.array(z.string().min(1)).optional(),
          })
          .strict()
          .refine((limit) => limit.window !== undefined || limit.per === 'task', {
            message: 'a window (`1m`, `1h`) is needed unless `per: task` (a quota over the task)',
          }),
      )
      .default([]),
    approvals: z
      .object({
        /** How long an approval request stays open. */
        ttl: duration.default(900_000),
        /** How long the gateway holds a call waiting for a human before answering (MCP clients time out at 60 s). */
        hold: duration.default(25_000),
      })
      .strict()
      .prefault({}),
    /**
     * People who run Warden (docs/decisions/015): named operators hold tokens with a role (`warden operator add`);
     * with `oidc`, a bearer JWT from the team's identity provider signs an operator in, its role read from a claim.
     */
    operators: z
      .object({
        oidc: z
          .object({
            /** The issuer (`iss`); its keys are found through `ISSUER/.well-known/openid-configuration`. */
            issuer: z.url(),
            audience: z.string().min(1),
            /** The claim that carries the role (a string or an array of strings, as `groups`). */
            roleClaim: z.string().min(1).default('groups'),
            /** Claim value → role; a token whose claim maps to no role is refused. */
            roles: z.record(z.string(), z.enum(OPERATOR_ROLES)),
            /** The claim that names the operator in the chain (prefixed `oidc:`). */
            nameClaim: z.string().min(1).default('sub'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Owners' notification channels, by owner e-mail. */
    owners: z
      .record(
        z.string(),
        z.object({ webhook: z.url(), format: z.enum(['json', 'slack']).default('json') }).strict(),
      )
      .default({}),
    /** MCP servers behind the gateway, by name (served at `/mcp/<name>`). */
    upstreams: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, `_`, `-`'),
        z
          .object({
            /** A stdio server: the command and its arguments (spawned, restarted with backoff when it crashes). */
            command: z.array(z.string().min(1)).min(1).optional(),
            cwd: z.string().optional(),
            env: z.record(z.string(), z.string()).default({}),
            /** A Streamable HTTP server. */
            url: z.url().optional(),
            /** `memory` upstreams turn calls into `memory.read` / `memory.write` in the chain. */
            kind: z.enum(['tools', 'memory']).default('tools'),
            sensitivity: z.enum(['public', 'internal', 'confidential', 'restricted']).default('internal'),
            /** Every write through this upstream leaves the organisation (`data.egress`), whatever its annotations. */
            egress: z.boolean().default(false),
            timeout: duration.default(30_000),
            /**
             * `isolated`: each downstream session gets its own upstream connection (a new MCP session over HTTP, a
             * new process over stdio), so server-to-client requests and notifications (sampling, elicitation,
             * roots, logging, resource updates) reach exactly the session that caused them. `shared`: one
             * connection for every session; only what routes unambiguously is relayed (progress, resource
             * updates to their subscribers), and sampling and elicitation are refused. Default: `isolated` for
             * `url`, `shared` for `command`.
             */
            sessions: z.enum(['shared', 'isolated']).optional(),
          })
          .strict()
          .refine(
            (u) => (u.command === undefined) !== (u.url === undefined),
            'give exactly one of `command` and `url`',
          )
          .transform((u) => ({ ...u, sessions: u.sessions ?? (u.url ? 'isolated' : 'shared') })),
      )
      .default({}),
    /** Secrets a task may lease, by name, with the agents allowed to lease each. */
    secrets: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, `.`, `_`, `-`'),
        z.discriminatedUnion('provider', [
          z.object({ provider: z.literal('static'), agents: z.array(agentName).min(1) }).strict(),
          z
            .object({
              provider: z.literal('postgres'),
              url: z.string().min(1),
              roles: z.array(z.string().min(1)).default([]),
              agents: z.array(agentName).min(1),
            })
            .strict(),
        ]),
      )
      .default({}),
    chain: z
      .object({
        /** Sign a checkpoint of the head after this many records … */
        checkpointEvery: z.coerce.number().int().positive().default(1000),
        /** … or after this long, whichever comes first (and always at shutdown). */
        checkpointInterval: duration.default(60_000),
        /** Most records group-committed in one transaction. */
        maxBatch: z.coerce.number().int().positive().max(10_000).default(1000),
        /**
         * Where each signed checkpoint is also pushed, outside the store: a file (JSON lines; put it on another
         * volume) and/or an HTTP endpoint. `warden chain verify --checkpoint` checks the store against that copy.
         */
        witness: z
          .object({
            file: z.string().min(1).optional(),
            url: z.url().optional(),
            headers: z.record(z.string(), z.string()).default({}),
          })
          .strict()
          .optional(),
        /** `warden chain verify` refuses a chain whose newest signed checkpoint is older than this. */
        maxCheckpointAge: duration.optional(),
      })
      .strict()
      .prefault({}),
    telemetry: z
      .object({
        /** Export the activity chain as OpenTelemetry traces to this OTLP/HTTP collector. */
        otlp: z
          .object({ url: z.url(), headers: z.record(z.string(), z.string()).default({}) })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()

/** Warden's validated configuration; durations are milliseconds. */
export type Config = z.output<typeof configSchema>
/** The configuration as written in `warden.yaml`. */
export type ConfigInput = z.input<typeof configSchema>
export type OidcIssuerConfig = z.output<typeof oidcIssuer>
export type FederationConfig = z.output<typeof federation>
export type ClaimRule = z.output<typeof claimRule>
export type SecretConfig = Config['secrets'][string]
export type UpstreamConfig = Config['upstreams'][string]
export type OperatorOidcConfig = NonNullable<Config['operators']['oidc']>
