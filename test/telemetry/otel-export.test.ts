import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestWarden } from '../fakes/warden.js'

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  attributes: Array<{
    key: string
    value: {
      stringValue?: string
      intValue?: string
      arrayValue?: { values: Array<{ stringValue: string }> }
    }
  }>
  events?: Array<{ name: string }>
  status?: { code?: number }
}

function attr(span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value
  if (!value) return undefined
  if (value.arrayValue) return value.arrayValue.values.map((v) => v.stringValue)
  return value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined)
}

describe('OpenTelemetry export', () => {
  let receiver: Server
  let url: string
  const spans: OtlpSpan[] = []

  beforeAll(async () => {
    // A local OTLP/HTTP receiver: collects the JSON export requests.
    receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      req.on('end', () => {
        const payload = JSON.parse(body) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>
        }
        for (const rs of payload.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans)
        res.setHeader('content-type', 'application/json')
        res.end('{}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`
  })
  afterAll(() => receiver.close())

  it('exports one trace per task and one span per tool call, with the decision as attributes', async () => {
    const t = await startTestWarden({ telemetry: { otlp: { url } } })
    const chain = t.warden.chain
    const agent = 'spiffe://warden.local/agent/billing/i1'
    await chain.append({ kind: 'task.open', task: 't1', agent, body: { purpose: 'monthly report' } })
    await chain.append({
      kind: 'tool.call',
      task: 't1',
      agent,
      body: { call: 'c1', tool: 'read_file', server: 'files' },
    })
    await chain.append({
      kind: 'decision',
      task: 't1',
      agent,
      body: { call: 'c1', effect: 'allow', decisionId: 'd1', reasons: ['permit-read'] },
    })
    await chain.append({ kind: 'tool.result', task: 't1', agent, body: { call: 'c1', size: 120 } })
    await chain.append({ kind: 'tool.call', task: 't1', agent, body: { call: 'c2', tool: 'send_email' } })
    await chain.append({
      kind: 'decision',
      task: 't1',
      agent,
      body: {
        call: 'c2',
        effect: 'deny',
        decisionId: 'd2',
        reasons: ['forbid-egress'],
        signals: ['provenance'],
      },
    })
    await chain.append({ kind: 'task.close', task: 't1', agent, body: {} })
    await chain.append({ kind: 'tool.call', task: 't2', agent, body: { call: 'c3', tool: 'search' } })
    await chain.append({ kind: 'tool.result', task: 't2', agent, body: { call: 'c3' } })
    await t.dispose() // flushes the exporter

    const traces = new Map<string, OtlpSpan[]>()
    for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span])
    expect(traces.size).toBe(2)

    const t1 = [...traces.values()].find((s) =>
      s.some((span) => attr(span, 'warden.task') === 't1'),
    ) as OtlpSpan[]
    const root = t1.find((s) => s.name === 'task t1') as OtlpSpan
    const read = t1.find((s) => s.name === 'tool read_file') as OtlpSpan
    const send = t1.find((s) => s.name === 'tool send_email') as OtlpSpan
    expect(t1.map((s) => s.name).sort()).toEqual(['task t1', 'tool read_file', 'tool send_email'])
    expect(read.parentSpanId).toBe(root.spanId)
    expect(attr(read, 'warden.decision.effect')).toBe('allow')
    expect(attr(read, 'warden.decision.reasons')).toEqual(['permit-read'])
    expect(attr(send, 'warden.decision.effect')).toBe('deny')
    expect(attr(send, 'warden.decision.signals')).toEqual(['provenance'])
    expect(send.status?.code).toBe(2) // ERROR

    const t2 = [...traces.values()].find((s) =>
      s.some((span) => attr(span, 'warden.task') === 't2'),
    ) as OtlpSpan[]
    expect(t2.map((s) => s.name)).toEqual(['tool search'])
  })
})
