import { randomBytes } from 'node:crypto'
import { type CallToolResult, type ClientCapabilities, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { ActivityChain } from '../chain/index.js'
import type { Decision, Pipeline } from '../enforcement/index.js'
import type { Logger } from '../kernel/index.js'
import type { AuthenticatedTask } from '../tasks/index.js'
import { JSONRPC } from './json-rpc.js'
import { RPC } from './rpc.js'
import type { Upstream } from './upstream.js'
import type { SessionClient } from './upstream-client.js'

type Relayed = 'sampling/createMessage' | 'elicitation/create' | 'roots/list'

/** A server's request waiting for the client's answer, and where its answer goes. */
interface Asked {
  method: Relayed
  params: Record<string, unknown>
  answer: (result: Record<string, unknown>) => void
  fail: (error: Error) => void
}

/** A 2026-07-28 `tools/call` in flight on a connection of its own, between the client's round trips. */
interface Round {
  /** Observes the final result when it comes on a retry (the first POST's answer is observed by `Calls`). */
  finish: (result: CallToolResult) => void
  resumed: boolean
  task: string
  tool: string
  client: SessionClient
  outcome: Promise<CallToolResult>
  /** Requests the server made that the client has not answered yet, by the key the client sees. */
  asked: Map<string, Asked>
  /** Wakes whoever waits for the next thing to tell the client. */
  wake: (() => void) | undefined
  expiry: NodeJS.Timeout
}

/** Thrown through `Calls.callTool` when the first POST of a call ends with a request for input. */
export class InputRequired extends Error {
  constructor(readonly outcome: Extract<RoundOutcome, { kind: 'input' }>) {
    super('input required')
  }
}

/** What a round ends a POST with: the call's result, or the input the server needs first. */
export type RoundOutcome =
  | { kind: 'result'; result: CallToolResult }
  | {
      kind: 'input'
      inputRequests: Record<string, { method: string; params: Record<string, unknown> }>
      requestState: string
    }

/**
 * The multi-round-trip relay (MCP 2026-07-28, `InputRequiredResult`) for upstreams of `sessions: isolated`. A
 * 2025 upstream asks for sampling, elicitation or roots with a request of its own in the middle of a call; a
 * stateless client can only be asked in an answer. So the call runs on a connection opened for it alone (with
 * the client's declared capabilities mirrored), each of the server's requests is decided by policy and recorded
 * (`server.request`), and the POST is answered `input_required` with the request, under a `requestState` that
 * names the round. The client's retry brings `inputResponses`: each is recorded (`server.result`) and handed to
 * the waiting server, and the call goes on. A round belongs to the task that started it and that tool: the
 * state is an unguessable key, and a retry from another task or for another tool finds nothing.
 */
export class InputRounds {
  private readonly rounds = new Map<string, Round>()

  constructor(
    private readonly pipeline: Pipeline,
    private readonly chain: ActivityChain,
    private readonly logger: Logger,
  ) {}

  /** Starts `tool` on a connection of its own, declaring `capabilities` upstream; answers as `next` does. */
  async start(
    upstream: Upstream,
    caller: AuthenticatedTask,
    decision: Decision,
    capabilities: ClientCapabilities,
    params: { name: string; arguments: Record<string, unknown> },
    finish: (result: CallToolResult) => void,
    /** Where the upstream's progress goes while the first POST's stream is open (dropped after). */
    onProgress?: (progress: Record<string, unknown>) => void,
  ): Promise<RoundOutcome> {
    const key = randomBytes(16).toString('base64url')
    const asked = new Map<string, Asked>()
    let round: Round | undefined
    const ask = (method: Relayed) => async (request: { params?: Record<string, unknown> }) => {
      const requestParams = request.params ?? {}
      const relayed = await this.pipeline.decide(caller, { action: method, server: upstream.name })
      const ids = { server: upstream.name, method, call: decision.call }
      const base = { task: caller.task.id, agent: caller.instance.spiffeId }
      if (relayed.effect !== 'allow') {
        throw new McpError(RPC.DENIED, `denied by Warden (decision ${relayed.decisionId})`, {
          decisionId: relayed.decisionId,
        })
      }
      const id = `${method}-${asked.size + 1}-${randomBytes(4).toString('hex')}`
      await this.chain.append({ ...base, kind: 'server.request', body: { ...ids, request: id } })
      return new Promise<Record<string, unknown>>((answer, fail) => {
        asked.set(id, {
          method,
          params: requestParams,
          answer: (result) => {
            this.chain
              .append({ ...base, kind: 'server.result', body: { ...ids, request: id, answered: true } })
              .catch((error: unknown) =>
                this.logger.error('a relayed answer could not be recorded', { error: String(error) }),
              )
            answer(result)
          },
          fail,
        })
        round?.wake?.()
      })
    }
    const client = await upstream.openSession(
      {
        ...(capabilities.sampling ? { sampling: capabilities.sampling } : {}),
        ...(capabilities.elicitation ? { elicitation: capabilities.elicitation } : {}),
        ...(capabilities.roots ? { roots: capabilities.roots } : {}),
      },
      {
        // Only what the client declared (the SDK refuses a handler for an undeclared capability).
        requests: {
          ...(capabilities.sampling
            ? { 'sampling/createMessage': (params) => ask('sampling/createMessage')({ params }) }
            : {}),
          ...(capabilities.elicitation
            ? { 'elicitation/create': (params) => ask('elicitation/create')({ params }) }
            : {}),
          ...(capabilities.roots ? { 'roots/list': (params) => ask('roots/list')({ params }) } : {}),
        },
      },
      () => undefined,
    )
    // A token of the gateway's own, routed back to this call alone.
    const token = onProgress ? upstream.openProgress(onProgress) : undefined
    const sent = token === undefined ? params : { ...params, _meta: { progressToken: token } }
    const outcome = client.callTool(sent, undefined, {
      timeout: upstream.config.timeout,
    }) as Promise<CallToolResult>
    outcome
      .finally(() => {
        if (token !== undefined) upstream.closeProgress(token)
      })
      .catch(() => undefined)
    round = {
      finish,
      resumed: false,
      task: caller.task.id,
      tool: params.name,
      client,
      outcome,
      asked,
      wake: undefined,
      expiry: setTimeout(() => this.end(key), upstream.config.timeout).unref(),
    }
    this.rounds.set(key, round)
    return this.next(key, round)
  }

  /** Whether `requestState` names a round of this task and tool. */
  has(requestState: unknown, caller: AuthenticatedTask, tool: string): boolean {
    const round = typeof requestState === 'string' ? this.rounds.get(requestState) : undefined
    return round !== undefined && round.task === caller.task.id && round.tool === tool
  }

  /** A retry: hands the client's answers to the server's waiting requests, then answers as `next` does. */
  async resume(requestState: string, inputResponses: unknown): Promise<RoundOutcome> {
    const round = this.rounds.get(requestState) as Round
    round.resumed = true
    const responses = (
      typeof inputResponses === 'object' && inputResponses !== null ? inputResponses : {}
    ) as Record<string, unknown>
    for (const [id, response] of Object.entries(responses)) {
      const waiting = round.asked.get(id)
      if (!waiting) continue
      round.asked.delete(id)
      if (typeof response === 'object' && response !== null)
        waiting.answer(response as Record<string, unknown>)
      else waiting.fail(new McpError(JSONRPC.INVALID_PARAMS, 'the client gave no answer'))
    }
    return this.next(requestState, round)
  }

  /** Waits for the call's result or the server's next request, whichever comes first. */
  private async next(key: string, round: Round): Promise<RoundOutcome> {
    const input = (): RoundOutcome | undefined => {
      if (round.asked.size === 0) return undefined
      const inputRequests: Record<string, { method: string; params: Record<string, unknown> }> = {}
      for (const [id, asked] of round.asked)
        inputRequests[id] = { method: asked.method, params: asked.params }
      return { kind: 'input', inputRequests, requestState: key }
    }
    const pending = input()
    if (pending) return pending
    const woken = new Promise<'input'>((resolve) => {
      round.wake = () => resolve('input')
    })
    const first = await Promise.race([
      round.outcome.then(
        () => 'result' as const,
        () => 'result' as const,
      ),
      woken,
    ])
    round.wake = undefined
    if (first === 'input') return input() as RoundOutcome
    try {
      const result = await round.outcome
      if (round.resumed) round.finish(result)
      return { kind: 'result', result }
    } finally {
      this.end(key)
    }
  }

  private end(key: string): void {
    const round = this.rounds.get(key)
    if (!round) return
    this.rounds.delete(key)
    clearTimeout(round.expiry)
    for (const asked of round.asked.values())
      asked.fail(new McpError(JSONRPC.INTERNAL, 'the round has ended'))
    round.client.close().catch(() => undefined)
  }

  close(): void {
    for (const key of [...this.rounds.keys()]) this.end(key)
  }
}
