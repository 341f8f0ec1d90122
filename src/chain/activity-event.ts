/** Every kind of activity the chain records. */
export type ActivityKind =
  | 'task.open'
  | 'task.close'
  | 'token.issue'
  | 'token.revoke'
  | 'delegation'
  | 'tool.call'
  | 'tool.result'
  | 'memory.read'
  | 'memory.write'
  | 'data.egress'
  | 'server.request'
  | 'server.result'
  | 'decision'
  /** A candidate policy set (or a log-only policy) decided a call otherwise than the set in force. */
  | 'decision.shadow'
  | 'signal'
  | 'approval'
  | 'rate_limited'
  | 'lease.issue'
  | 'lease.revoke'
  | 'agent.register'
  | 'agent.disable'
  | 'agent.enable'
  | 'agent.update'
  | 'agent.remove'
  | 'join_token.create'
  | 'instance.attest'
  | 'instance.quarantine'
  | 'svid.issue'
  | 'key.rotate'
  | 'key.prepare'
  | 'key.activate'
  | 'key.taint'
  | 'key.revoke'
  | 'auth.fail'
  /** An operator was given a role and a token, or had it revoked (`body.operator` names who did it). */
  | 'operator.add'
  | 'operator.revoke'
  /** An operator reloaded the policy set. */
  | 'policy.reload'
  /** An operator approved a tool's changed definition. */
  | 'tool.approve'

export const ACTIVITY_KINDS: readonly ActivityKind[] = [
  'task.open',
  'task.close',
  'token.issue',
  'token.revoke',
  'delegation',
  'tool.call',
  'tool.result',
  'memory.read',
  'memory.write',
  'data.egress',
  'server.request',
  'server.result',
  'decision',
  'decision.shadow',
  'signal',
  'approval',
  'rate_limited',
  'lease.issue',
  'lease.revoke',
  'agent.register',
  'agent.disable',
  'agent.enable',
  'agent.update',
  'agent.remove',
  'join_token.create',
  'instance.attest',
  'instance.quarantine',
  'svid.issue',
  'key.rotate',
  'key.prepare',
  'key.activate',
  'key.taint',
  'key.revoke',
  'auth.fail',
  'operator.add',
  'operator.revoke',
  'policy.reload',
  'tool.approve',
]

/** What a caller appends; the chain assigns `seq`, `id`, `ts`, `prev` and `hash`. */
export interface ActivityInput {
  kind: ActivityKind
  /** The task the activity belongs to, if any. */
  task?: string | null
  /** The SPIFFE ID of the instance acting, or the agent name for registry events. */
  agent?: string | null
  body: Record<string, unknown>
}

/**
 * One record of the activity chain (version 1). `hash` = SHA-256 of the canonical JSON (RFC 8785 key order) of
 * every other field, `prev` included — so each record commits to its predecessor, and every stored field
 * (index columns too) is covered. WARNING: adding a field changes the hash input; bump `v` and keep verifying
 * old versions.
 */
export interface ActivityEventV1 {
  v: 1
  seq: number
  id: string
  /** Milliseconds since the epoch. */
  ts: number
  task: string | null
  agent: string | null
  kind: ActivityKind
  body: Record<string, unknown>
  /** JSON pointers of body members removed or masked before hashing (redaction happens before the hash). */
  redacted: string[]
  prev: string
  hash: string
}

/** The hash that precedes the first record. */
export const GENESIS_HASH = '0'.repeat(64)
