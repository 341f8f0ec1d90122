import { createHash } from 'node:crypto'
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  RandomIdGenerator,
} from '@opentelemetry/sdk-trace-base'
import type { ActivityEventV1 } from '../chain/index.js'

/** Trace and root-span ids derived from the task id, so every node exports one task into one trace. */
function taskIds(task: string): { traceId: string; spanId: string } {
  const digest = createHash('sha256').update(`warden-task:${task}`).digest('hex')
  return { traceId: digest.slice(0, 32), spanId: digest.slice(32, 48) }
}

/** Random ids, except for a task's root span, whose ids are derived from the task. */
class TaskIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator()
  private traceId: string | undefined
  private spanId: string | undefined

  /** Makes the next span started use these ids (each is consumed once, in whatever order the SDK asks). */
  set next(ids: { traceId: string; spanId: string }) {
    this.traceId = ids.traceId
    this.spanId = ids.spanId
  }

  generateTraceId(): string {
    const id = this.traceId ?? this.random.generateTraceId()
    this.traceId = undefined
    return id
  }

  generateSpanId(): string {
    const id = this.spanId ?? this.random.generateSpanId()
    this.spanId = undefined
    return id
  }
}

export interface OtelExportOptions {
  /** The collector's OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  url: string
  headers?: Record<string, string>
  serviceName?: string
}

/**
 * Exports the activity chain as OpenTelemetry traces over OTLP/HTTP: one trace per task (a root span from
 * `task.open` to `task.close`), one span per tool call (from `tool.call` to `tool.result`, matched by the body's
 * `call` id), the decision on it as `warden.decision.*` attributes, and every other event of the task as a span
 * event. Spans carry the chain's own timestamps, and `warden.seq` links each back to its record.
 */
export class OtelChainExporter {
  private readonly provider: BasicTracerProvider
  private readonly tracer
  private readonly ids = new TaskIdGenerator()
  private readonly roots = new Map<string, Span>()
  private readonly calls = new Map<string, Span>()

  constructor(options: OtelExportOptions) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'warden' }),
      idGenerator: this.ids,
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: options.url, headers: options.headers ?? {} })),
      ],
    })
    this.tracer = this.provider.getTracer('warden.chain')
  }

  /** Feeds committed events, in chain order. */
  export(events: readonly ActivityEventV1[]): void {
    for (const event of events) this.exportOne(event)
  }

  private exportOne(event: ActivityEventV1): void {
    if (event.task === null) return
    const base: Attributes = {
      'warden.task': event.task,
      'warden.seq': event.seq,
      ...(event.agent ? { 'warden.agent': event.agent } : {}),
    }
    const callId = typeof event.body.call === 'string' ? `${event.task}/${event.body.call}` : undefined
    switch (event.kind) {
      case 'task.open': {
        this.ids.next = taskIds(event.task)
        const root = this.tracer.startSpan(`task ${event.task}`, {
          startTime: event.ts,
          kind: SpanKind.INTERNAL,
          attributes: { ...base, ...pick(event.body, ['purpose']) },
          root: true,
        })
        this.roots.set(event.task, root)
        return
      }
      case 'task.close': {
        for (const [key, span] of this.calls) {
          if (key.startsWith(`${event.task}/`)) {
            span.end(event.ts)
            this.calls.delete(key)
          }
        }
        const root = this.roots.get(event.task)
        root?.addEvent('task.close', { 'warden.seq': event.seq }, event.ts)
        root?.end(event.ts)
        this.roots.delete(event.task)
        return
      }
      case 'tool.call': {
        const tool = typeof event.body.tool === 'string' ? event.body.tool : 'unknown'
        const span = this.tracer.startSpan(
          `tool ${tool}`,
          {
            startTime: event.ts,
            kind: SpanKind.CLIENT,
            attributes: { ...base, 'warden.tool': tool, ...pick(event.body, ['server']) },
          },
          this.taskContext(event.task),
        )
        if (callId) this.calls.set(callId, span)
        else span.end(event.ts)
        return
      }
      case 'decision': {
        const span = callId ? this.calls.get(callId) : undefined
        const attributes: Attributes = {
          'warden.decision.effect': String(event.body.effect ?? ''),
          'warden.decision.id': String(event.body.decisionId ?? ''),
          'warden.decision.reasons': asStrings(event.body.reasons),
          'warden.decision.signals': asStrings(event.body.signals),
        }
        if (span) {
          span.setAttributes(attributes)
          if (event.body.effect === 'deny')
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'denied by policy' })
        } else {
          this.spanEvent(event, attributes)
        }
        return
      }
      case 'tool.result': {
        const span = callId ? this.calls.get(callId) : undefined
        if (!span) {
          this.spanEvent(event, {})
          return
        }
        span.setAttributes(pick(event.body, ['size', 'digest']))
        if (event.body.error)
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(event.body.error) })
        span.end(event.ts)
        if (callId) this.calls.delete(callId)
        return
      }
      default:
        this.spanEvent(event, {})
    }
  }

  /** Records an event on its tool call's span, else on the task's root span. */
  private spanEvent(event: ActivityEventV1, attributes: Attributes): void {
    const callId = typeof event.body.call === 'string' ? `${event.task}/${event.body.call}` : undefined
    const target = (callId && this.calls.get(callId)) || (event.task ? this.roots.get(event.task) : undefined)
    const all = { 'warden.seq': event.seq, ...attributes }
    if (target) {
      target.addEvent(event.kind, all, event.ts)
      return
    }
    const span = this.tracer.startSpan(
      event.kind,
      { startTime: event.ts, attributes: all },
      this.taskContext(event.task as string),
    )
    span.end(event.ts)
  }

  /** A context whose parent is the task's root span, whether or not this node saw the task open. */
  private taskContext(task: string): Context {
    const { traceId, spanId } = taskIds(task)
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    })
  }

  /** Ends open spans and flushes everything to the collector. */
  async shutdown(): Promise<void> {
    for (const span of this.calls.values()) span.end()
    for (const span of this.roots.values()) span.end()
    this.calls.clear()
    this.roots.clear()
    await this.provider.shutdown()
  }
}

function pick(body: Record<string, unknown>, keys: readonly string[]): Attributes {
  const out: Attributes = {}
  for (const key of keys) {
    const value = body[key]
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[`warden.${key}`] = value
  }
  return out
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
    : []
}
