import type { ActivityEventV1 } from '../chain/index.js'

/** The frameworks Warden's controls are mapped to (../shared/research/frameworks.md has the sources). */
export type Framework = 'OWASP-ASI' | 'OWASP-NHI' | 'MAESTRO' | 'NIST-AI-RMF'

export interface FrameworkItem {
  framework: Framework
  id: string
  name: string
}

/** Every item of the four taxonomies, in their published order. */
export const FRAMEWORK_ITEMS: readonly FrameworkItem[] = [
  ...(
    [
      ['ASI01', 'Agent Goal Hijack'],
      ['ASI02', 'Tool Misuse & Exploitation'],
      ['ASI03', 'Identity & Privilege Abuse'],
      ['ASI04', 'Agentic Supply Chain Vulnerabilities'],
      ['ASI05', 'Unexpected Code Execution (RCE)'],
      ['ASI06', 'Memory & Context Poisoning'],
      ['ASI07', 'Insecure Inter-Agent Communication'],
      ['ASI08', 'Cascading Failures'],
      ['ASI09', 'Human-Agent Trust Exploitation'],
      ['ASI10', 'Rogue Agents'],
    ] as const
  ).map(([id, name]) => ({ framework: 'OWASP-ASI' as const, id, name })),
  ...(
    [
      ['NHI1', 'Improper Offboarding'],
      ['NHI2', 'Secret Leakage'],
      ['NHI3', 'Vulnerable Third-Party NHI'],
      ['NHI4', 'Insecure Authentication'],
      ['NHI5', 'Overprivileged NHI'],
      ['NHI6', 'Insecure Cloud Deployment Configurations'],
      ['NHI7', 'Long-Lived Secrets'],
      ['NHI8', 'Environment Isolation'],
      ['NHI9', 'NHI Reuse'],
      ['NHI10', 'Human Use of NHI'],
    ] as const
  ).map(([id, name]) => ({ framework: 'OWASP-NHI' as const, id, name })),
  ...(
    [
      ['L1', 'Foundation Models'],
      ['L2', 'Data Operations'],
      ['L3', 'Agent Frameworks'],
      ['L4', 'Deployment and Infrastructure'],
      ['L5', 'Evaluation and Observability'],
      ['L6', 'Security and Compliance'],
      ['L7', 'Agent Ecosystem'],
    ] as const
  ).map(([id, name]) => ({ framework: 'MAESTRO' as const, id, name })),
  ...(
    [
      ['GOVERN', 'Govern'],
      ['MAP', 'Map'],
      ['MEASURE', 'Measure'],
      ['MANAGE', 'Manage'],
    ] as const
  ).map(([id, name]) => ({ framework: 'NIST-AI-RMF' as const, id, name })),
]

/** What a record proves about a control, for the evidence columns. */
export type EvidenceKind =
  | 'decision'
  | 'denial'
  | 'escalation'
  | 'approval'
  | 'signal'
  | 'revocation'
  | 'record'

/** A control Warden enforces or a detector it runs, and how to recognise its work in the chain. */
export interface Control {
  id: string
  kind: 'control' | 'detector'
  title: string
  /** The records that are this control's evidence, and what each proves. */
  evidence(event: ActivityEventV1): EvidenceKind | undefined
  /** When true, the chain's verification and signed checkpoint are this control's evidence too. */
  tamperCheck?: boolean
}

type Body = Record<string, unknown>
const reasons = (e: ActivityEventV1) => ((e.body as Body).reasons as string[] | undefined) ?? []
const effectOf = (e: ActivityEventV1): EvidenceKind => {
  const effect = (e.body as Body).effect
  return effect === 'deny' ? 'denial' : effect === 'escalate' ? 'escalation' : 'decision'
}
/** The signal kinds a record raises: a `signal` record's, or those a decision was made with. */
export function signalKinds(e: ActivityEventV1): string[] {
  if (e.kind === 'signal') return [String((e.body as Body).kind)]
  if (e.kind === 'decision')
    return (((e.body as Body).signals as Array<{ kind: string }>) ?? []).map((s) => s.kind)
  return []
}
const kinds =
  (map: Partial<Record<ActivityEventV1['kind'], EvidenceKind>>) =>
  (e: ActivityEventV1): EvidenceKind | undefined =>
    map[e.kind]
const detector = (id: string, title: string): Control => ({
  id,
  kind: 'detector',
  title,
  evidence: (e) => (signalKinds(e).includes(id) ? 'signal' : undefined),
})

/** Every control Warden enforces and every detector it runs. */
export const CONTROLS: readonly Control[] = [
  {
    id: 'workload-identity',
    kind: 'control',
    title: 'Instances attest and receive short-lived SPIFFE SVIDs bound to their own key',
    evidence: kinds({ 'instance.attest': 'record', 'svid.issue': 'record' }),
  },
  {
    id: 'agent-registry',
    kind: 'control',
    title:
      'Every agent is registered with an accountable owner, a tier and its entitlements; disabling it stops its instances at once',
    evidence: kinds({ 'agent.register': 'record', 'agent.enable': 'record', 'agent.disable': 'revocation' }),
  },
  {
    id: 'task-tokens',
    kind: 'control',
    title: 'Task-scoped tokens, bound to the instance key (DPoP), with a lifetime set by tier',
    evidence: kinds({ 'token.issue': 'record', 'token.revoke': 'revocation' }),
  },
  {
    id: 'declared-intent',
    kind: 'control',
    title:
      'A task declares its purpose and tools up front, within the agent’s entitlements; undeclared tools are denied',
    evidence: kinds({ 'task.open': 'record' }),
  },
  {
    id: 'narrowing-delegation',
    kind: 'control',
    title:
      'Delegation by token exchange only narrows: registry-allowed targets, scope ⊆ parent, depth limit, stricter tier, act chain',
    evidence: kinds({ delegation: 'record' }),
  },
  {
    id: 'policy-decisions',
    kind: 'control',
    title: 'Every request is decided by the Cedar policy set in force, with reasons; any error denies',
    evidence: (e) => (e.kind === 'decision' ? effectOf(e) : undefined),
  },
  {
    id: 'tier-templates',
    kind: 'control',
    title:
      'Tier templates: low tier reads only, critical and high tiers escalate destructive or open-world writes',
    evidence: (e) =>
      e.kind === 'decision' && reasons(e).some((r) => r.startsWith('tiers.cedar#')) ? effectOf(e) : undefined,
  },
  {
    id: 'human-approval',
    kind: 'control',
    title: 'Escalated calls wait for the owner’s answer, bound to the exact call and used once',
    evidence: (e) =>
      e.kind === 'approval'
        ? 'approval'
        : e.kind === 'decision' && (e.body as Body).effect === 'escalate'
          ? 'escalation'
          : undefined,
  },
  {
    id: 'tool-pinning',
    kind: 'control',
    title: 'Tool definitions are pinned by digest; a changed definition is quarantined until re-approved',
    evidence: (e) => (signalKinds(e).includes('tool_definition_changed') ? 'signal' : undefined),
  },
  {
    id: 'argument-validation',
    kind: 'control',
    title: 'Tool arguments are checked against the pinned input schema and typed into the policy request',
    evidence: (e) =>
      e.kind === 'tool.call' && (e.body as Body).action === 'tools/call' ? 'record' : undefined,
  },
  {
    id: 'restricted-data',
    kind: 'control',
    title: 'Restricted data only for tasks that declared the data class',
    evidence: (e) =>
      e.kind === 'decision' && reasons(e).includes('baseline.cedar#restricted-data-needs-declared-class')
        ? effectOf(e)
        : undefined,
  },
  {
    id: 'activity-chain',
    kind: 'control',
    title: 'One hash-chained activity chain with signed checkpoints, verifiable offline with the public key',
    evidence: () => 'record',
    tamperCheck: true,
  },
  {
    id: 'revocation',
    kind: 'control',
    title:
      'Closing a task revokes its whole subtree of tasks, tokens and leases; instances can be quarantined',
    evidence: kinds({
      'task.close': 'revocation',
      'token.revoke': 'revocation',
      'lease.revoke': 'revocation',
      'instance.quarantine': 'revocation',
    }),
  },
  {
    id: 'secret-leases',
    kind: 'control',
    title: 'Secrets are leased per task (ephemeral credentials), revoked when the task ends',
    evidence: kinds({ 'lease.issue': 'record', 'lease.revoke': 'revocation' }),
  },
  {
    id: 'key-rotation',
    kind: 'control',
    title: 'Token signing keys rotate on a schedule',
    evidence: kinds({ 'key.rotate': 'record' }),
  },
  {
    id: 'redaction',
    kind: 'control',
    title: 'Secret values are redacted before a record is hashed; outputs are kept as digests and labels',
    evidence: (e) => (e.redacted.length > 0 ? 'record' : undefined),
  },
  {
    id: 'memory-records',
    kind: 'control',
    title: 'Memory reads and writes through the gateway are recorded with their provenance labels',
    evidence: kinds({ 'memory.read': 'record', 'memory.write': 'record' }),
  },
  {
    id: 'egress-records',
    kind: 'control',
    title: 'Data leaving through open-world tools is recorded as egress with its labels',
    evidence: kinds({ 'data.egress': 'record' }),
  },
  {
    id: 'relayed-requests',
    kind: 'control',
    title: 'A server’s requests to the agent’s side (sampling, elicitation, roots) are decided and recorded',
    evidence: kinds({ 'server.request': 'record' }),
  },
  detector('credential_reuse', 'A task token presented by a key it is not bound to'),
  detector(
    'unsourced_value',
    'A write target that comes from neither the request nor data the task has seen',
  ),
  detector('unsourced_after_injection', 'An unsourced value after planted instructions were read'),
  detector(
    'data_in_text_after_injection',
    'Identifiers from data in the free text of a write after planted instructions',
  ),
  detector('untrusted_provenance', 'A sink argument whose value comes from untrusted tool output'),
  detector('instructions_in_argument', 'Planted instructions passed on in a tool argument'),
  detector('write_after_injection', 'A side-effect call after untrusted output carrying instructions'),
  detector(
    'unrequested_removal',
    'A removal or revocation the task’s request never asked for (intent drift)',
  ),
  detector('secret_in_arguments', 'A secret in a tool call’s arguments'),
  detector('secret_then_egress', 'A secret read, then data sent out'),
  detector('sensitive_then_egress', 'Sensitive data read, then data sent out'),
  detector('instructions_to_memory', 'Planted instructions written to memory'),
  detector('untrusted_to_memory', 'Untrusted output written to memory'),
  detector('write_volume', 'More writes in a task than its baseline allows'),
  detector('novel_target', 'A target the agent has never used before'),
  detector('novel_sequence', 'A tool sequence the agent has never run before'),
]

/**
 * The mapping: one row per control and framework item it addresses, with the one-line reason. Written once,
 * here; the compliance report is computed from it.
 */
export const MAPPINGS: ReadonlyArray<readonly [control: string, item: string, rationale: string]> = [
  ['workload-identity', 'ASI03', 'every event is tied to an attested instance identity, not a shared key'],
  [
    'workload-identity',
    'NHI4',
    'agents authenticate with attested, short-lived, key-bound SVIDs instead of static keys',
  ],
  [
    'workload-identity',
    'ASI07',
    'a sub-agent authenticates with its own SVID and proof before it receives a delegated token',
  ],
  ['workload-identity', 'L7', 'a registry of attested agent identities under one trust domain'],
  [
    'agent-registry',
    'NHI1',
    'every agent identity has an owner; disabling an agent stops its instances at once',
  ],
  ['agent-registry', 'ASI10', 'an agent inventory with a kill switch (disable) per agent'],
  ['agent-registry', 'GOVERN', 'an inventory of agents with accountable owners, tiers and entitlements'],
  ['task-tokens', 'ASI03', 'credentials are task-scoped and short-lived; nothing is cached across tasks'],
  ['task-tokens', 'NHI7', 'per-task tokens that expire in minutes replace long-lived secrets'],
  [
    'task-tokens',
    'NHI4',
    'tokens are bound to the instance key by DPoP, so a copied token alone does not work',
  ],
  ['declared-intent', 'ASI02', 'a least-privilege tool profile per task: only declared tools are allowed'],
  ['declared-intent', 'NHI5', 'a task holds only the tools it declared, within the entitlements'],
  ['declared-intent', 'MAP', 'the intended purpose and tools of each task are declared and recorded'],
  ['declared-intent', 'L3', 'the intent allow-list is enforced at the agent framework’s tool boundary'],
  [
    'narrowing-delegation',
    'ASI03',
    'the delegating principal and every actor are carried in the act chain of each task',
  ],
  [
    'narrowing-delegation',
    'ASI07',
    'agent-to-agent hand-offs go through an authenticated token exchange that only narrows',
  ],
  ['narrowing-delegation', 'NHI5', 'a delegate never holds more than its parent and its own entitlements'],
  ['narrowing-delegation', 'L7', 'inter-agent trust is explicit: only registry-allowed delegation targets'],
  ['policy-decisions', 'ASI02', 'every tool call is authorised at request time against the policy set'],
  ['policy-decisions', 'L3', 'the enforcement point on tool calls: allow, deny or escalate with reasons'],
  ['policy-decisions', 'L6', 'a versioned policy store and decision engine whose decisions are recorded'],
  [
    'policy-decisions',
    'MEASURE',
    'decisions with reasons give blocked-attempt and escalation counts per period',
  ],
  ['policy-decisions', 'MANAGE', 'risky requests are blocked or escalated in real time'],
  ['tier-templates', 'ASI02', 'tools are limited by the harm an agent can do: low tier reads only'],
  ['tier-templates', 'NHI5', 'a tier caps what any grant can be used for'],
  ['tier-templates', 'GOVERN', 'risk tolerance is written per tier as reviewable policy'],
  ['human-approval', 'ASI09', 'high-impact actions are gated on a human who sees the call and its signals'],
  ['human-approval', 'ASI02', 'destructive calls need an approval bound to the exact call'],
  ['human-approval', 'GOVERN', 'approvals and their answers are recorded with who answered'],
  ['human-approval', 'L6', 'approvals are part of the decision path, not a side channel'],
  ['tool-pinning', 'ASI04', 'tool descriptors are pinned by hash; a changed one ("rug pull") is quarantined'],
  ['tool-pinning', 'L7', 'MCP server descriptors are trusted only as approved'],
  ['argument-validation', 'ASI02', 'arguments must fit the pinned schema and are typed for argument rules'],
  ['argument-validation', 'L3', 'argument rules at the tool boundary'],
  ['restricted-data', 'L2', 'data sensitivity labels gate what a task may read'],
  ['restricted-data', 'MAP', 'data is classified and tasks declare the classes they handle'],
  ['activity-chain', 'L5', 'per-event provenance, decisions and reasons in one log'],
  ['activity-chain', 'L6', 'a tamper-evident audit trail, verifiable offline'],
  [
    'activity-chain',
    'MEASURE',
    'the chain is the measurement source: every count in this report comes from it',
  ],
  ['activity-chain', 'MANAGE', 'an incident timeline per task, in order, from the chain'],
  ['activity-chain', 'ASI10', 'a rogue agent’s actions cannot be erased from the record without detection'],
  ['revocation', 'ASI10', 'a kill switch per task subtree and quarantine per instance'],
  ['revocation', 'ASI08', 'closing a task stops its whole subtree at once, bounding the blast radius'],
  ['revocation', 'NHI1', 'credentials die with their task; nothing outlives it'],
  ['revocation', 'MANAGE', 'respond: revoke and quarantine'],
  ['secret-leases', 'NHI7', 'secrets are issued per task and revoked at its end, not stored long-lived'],
  ['secret-leases', 'NHI2', 'an agent never holds a standing secret it could leak later'],
  ['secret-leases', 'L4', 'credential scoping at the infrastructure boundary'],
  ['key-rotation', 'NHI7', 'token signing keys do not live forever'],
  ['redaction', 'NHI2', 'secrets do not leak into the audit trail'],
  ['memory-records', 'ASI06', 'memory writes and reads carry provenance labels'],
  ['memory-records', 'L2', 'memory operations are recorded with their labels'],
  ['egress-records', 'L4', 'egress through open-world tools is recorded'],
  ['relayed-requests', 'L7', 'requests from MCP servers back to the agent are decided like the agent’s own'],
  ['credential_reuse', 'NHI9', 'one credential used by two instances is detected, not just refused'],
  [
    'credential_reuse',
    'ASI03',
    'a stolen task token presented by another key is refused and the task revoked',
  ],
  ['unsourced_value', 'ASI01', 'a sink argument that did not come from the user is escalated'],
  ['unsourced_value', 'ASI09', 'the reviewer is told the value comes from nowhere the task has seen'],
  ['unsourced_after_injection', 'ASI01', 'a goal hijack: a value introduced after planted instructions'],
  ['data_in_text_after_injection', 'ASI01', 'exfiltration riding in free text after planted instructions'],
  ['untrusted_provenance', 'ASI01', 'sink arguments from untrusted tool output'],
  ['untrusted_provenance', 'L2', 'provenance of values across tool outputs'],
  ['instructions_in_argument', 'ASI01', 'planted instructions passed on to another tool'],
  ['write_after_injection', 'ASI01', 'an untrusted read followed by a side-effect call'],
  ['unrequested_removal', 'ASI01', 'drift from the declared intent'],
  ['secret_in_arguments', 'NHI2', 'secrets in tool inputs are found'],
  ['secret_then_egress', 'NHI2', 'secrets flowing to an external sink are found'],
  ['sensitive_then_egress', 'L4', 'sensitive data followed by egress'],
  ['sensitive_then_egress', 'ASI02', 'a tool used to move data out'],
  ['instructions_to_memory', 'ASI06', 'memory writes from a tainted context'],
  ['untrusted_to_memory', 'ASI06', 'untrusted output written to memory keeps its label'],
  ['write_volume', 'ASI08', 'fan-out and write-volume caps per task'],
  ['write_volume', 'ASI02', 'rate of side effects per task'],
  ['novel_target', 'ASI10', 'behaviour outside the agent’s baseline'],
  ['novel_sequence', 'ASI10', 'tool-sequence drift from the agent’s baseline'],
  ['novel_sequence', 'ASI01', 'a hijacked goal shows as a sequence the agent never ran'],
]

/** Why Warden does not cover an item that has no mapping: an honest report names the gap. */
export const GAPS: Readonly<Record<string, string>> = {
  ASI05: 'no static checks or sandbox for generated code; exec tools are only gated like any other tool',
  NHI3: 'tokens that third-party tools or MCP servers hold elsewhere are not scoped or watched',
  NHI6: 'deployment and CI/CD configurations are out of Warden’s view',
  NHI8: 'no notion of environments: one identity used in production and elsewhere is not detected',
  NHI10: 'human use of an agent identity is not detected',
  L1: 'the model itself is not controlled; only its actions are judged',
}
