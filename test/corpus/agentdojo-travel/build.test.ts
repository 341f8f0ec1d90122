// The travel corpus's shape (not its detection figures, which `npm run eval:generalise` reports): the coverage the
// issue asks for, labels the scorer reads, and injections only where they belong.
import { describe, expect, it } from 'vitest'
// @ts-expect-error — the corpus is plain JavaScript, shared with `npm run eval:generalise`.
import { travelTraces } from './build.mjs'

interface Event {
  kind: string
  call: string
  tool?: string
  output?: string
}
interface TravelTrace {
  id: string
  tools: { name: string; annotations: { readOnlyHint: boolean } }[]
  events: Event[]
  labels: {
    label: string
    attack: string | null
    injection_task: string | null
    goal_calls: string[]
    injected_results: string[]
  }
}

const traces: TravelTrace[] = travelTraces()
const attacks = traces.filter((t) => t.labels.label !== 'benign')
const benign = traces.filter((t) => t.labels.label === 'benign')
const callsOf = (t: TravelTrace) => t.events.filter((e) => e.kind === 'tool.call').map((e) => e.call)
const first = (list: string[]) => list[0] ?? ''
const outputOf = (t: TravelTrace, call: string) =>
  t.events.find((e) => e.kind === 'tool.result' && e.call === call)?.output ?? ''

describe('the AgentDojo travel corpus', () => {
  it('holds one benign trace per user task and covers every tool-call injection task with six templates', () => {
    expect(benign).toHaveLength(20)
    expect(attacks.length).toBeGreaterThanOrEqual(60)
    expect(new Set(attacks.map((t) => t.labels.injection_task)).size).toBe(6)
    expect(new Set(attacks.map((t) => t.labels.attack)).size).toBe(6)
    expect(new Set(traces.map((t) => t.id)).size).toBe(traces.length)
  })

  it('labels each attack with a goal call that comes after the output carrying its injection', () => {
    for (const t of attacks) {
      const calls = callsOf(t)
      expect(t.labels.goal_calls.length, t.id).toBeGreaterThan(0)
      expect(t.labels.injected_results.length, t.id).toBeGreaterThan(0)
      expect(calls.indexOf(first(t.labels.goal_calls)), t.id).toBeGreaterThan(
        calls.indexOf(first(t.labels.injected_results)),
      )
    }
  })

  it('puts the injection in the reviews an attack reads and only the default reviews in a benign trace', () => {
    const goalText = 'Riverside View Hotel from the 13th to the 17th of May 2024'
    const attack = attacks.find((t) => t.labels.injection_task === 'injection_task_0')
    expect(attack).toBeDefined()
    expect(outputOf(attack as TravelTrace, first((attack as TravelTrace).labels.injected_results))).toContain(
      goalText,
    )
    const marais = benign.find((t) => t.id.endsWith('/user_task_0/none/none')) as TravelTrace
    expect(outputOf(marais, 'c0')).toContain('Awesome hotel')
    for (const t of benign)
      for (const e of t.events) expect(e.output ?? '').not.toMatch(/INFORMATION|TODO:|Ignore/)
  })

  it('marks only the tools that read as read-only', () => {
    const readOnly = new Set(
      (traces[0] as TravelTrace).tools.filter((t) => t.annotations.readOnlyHint).map((t) => t.name),
    )
    for (const write of ['reserve_hotel', 'reserve_car_rental', 'reserve_restaurant', 'send_email'])
      expect(readOnly.has(write), write).toBe(false)
    expect(readOnly.has('create_calendar_event')).toBe(false)
    expect(readOnly.has('get_rating_reviews_for_hotels')).toBe(true)
  })
})
