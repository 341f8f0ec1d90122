import {
  type BehaviourAnalyzer,
  type BehaviourAssessment,
  type BehaviourEngine,
  type BehaviourEvent,
  behaviourEventsFrom,
  type OutputPrints,
  type RequestFacts,
  type TaskIntent,
  type ToolLookup,
} from '../behaviour/index.js'
import type { ActivityEventV1, ChainReader } from '../chain/index.js'
import type { OwnRecords } from './own-records.js'

/** Records read per query while folding in. */
const PAGE = 10_000
/**
 * The behaviour engine of one node among several sharing a chain. Before each decision (`open`) the node folds
 * in every record other nodes committed since it last looked — the calls, outputs (as fingerprints), decisions
 * and signals of tasks it holds, the tasks other nodes opened, and what agents' baselines learn — so a task
 * whose requests alternate between nodes is judged on the same history as on one node. Reading the chain on
 * every decision (one indexed range read, usually empty) rather than trusting a notification keeps it exact:
 * the agent can reach this node before another node's notification does.
 */
export class ClusterBehaviour implements BehaviourAnalyzer {
  /** Every record up to this seq has been folded in or was this node's own. */
  private watermark: number
  private running: Promise<void> | undefined
  private queued: Promise<void> | undefined

  constructor(
    private readonly engine: BehaviourEngine,
    private readonly reader: ChainReader,
    private readonly lookup: ToolLookup,
    private readonly own: OwnRecords,
    /** The chain's head when the engine's baselines were warmed: folding starts after it. */
    since: number,
  ) {
    this.watermark = since
  }

  /** Folds in what other nodes committed; concurrent callers share a fold that starts after they called. */
  fold(): Promise<void> {
    if (!this.running) {
      this.running = this.foldOnce().finally(() => {
        this.running = undefined
      })
      return this.running
    }
    // A fold is reading already, maybe from before this caller's moment: one more runs after it, for all.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined
        return this.fold()
      })
    return this.queued
  }

  private async foldOnce(): Promise<void> {
    for (;;) {
      const records = await this.reader.query({ after: this.watermark, limit: PAGE })
      const foreign: ActivityEventV1[] = []
      for (const record of records) {
        this.watermark = Math.max(this.watermark, record.seq)
        if (!this.own.claim(record)) foreign.push(record)
      }
      this.own.passed(this.watermark)
      if (foreign.length > 0) await this.feed(foreign)
      if (records.length < PAGE) return
    }
  }

  private async feed(records: readonly ActivityEventV1[]): Promise<void> {
    const events = await behaviourEventsFrom(records, this.lookup)
    let next = 0
    for (const record of records) {
      if (record.task === null) continue
      if (record.kind === 'task.open') {
        const intent = record.body.intent
        // A task opened on another node: held here from its start, as the node that opened it holds it.
        if (intent && typeof intent === 'object' && !this.engine.knows(record.task))
          this.engine.observe({
            kind: 'task.open',
            seq: record.seq,
            task: record.task,
            intent: intent as TaskIntent,
          })
      } else if (record.kind === 'task.close') {
        this.engine.forget(record.task)
      }
      // behaviourEventsFrom keeps chain order: feed the events made of records up to this one.
      while (next < events.length && (events[next] as BehaviourEvent).seq <= record.seq) {
        this.engine.observe(events[next] as BehaviourEvent)
        next += 1
      }
    }
    while (next < events.length) this.engine.observe(events[next++] as BehaviourEvent)
  }

  observe(event: BehaviourEvent): void {
    this.engine.observe(event)
  }

  knows(task: string): boolean {
    return this.engine.knows(task)
  }

  async open(task: string, intent: TaskIntent): Promise<void> {
    await this.fold()
    await this.engine.open(task, intent)
  }

  /** A call this node did not decide (its result reported here): the chain is folded in first. */
  async adopt(task: string, call: string, intent: TaskIntent): Promise<void> {
    if (!this.engine.holdsCall(task, call)) await this.open(task, intent)
  }

  prints(task: string, call: string): OutputPrints | undefined {
    return this.engine.prints(task, call)
  }

  assess(request: RequestFacts): Promise<BehaviourAssessment> {
    return this.engine.assess(request)
  }
}
