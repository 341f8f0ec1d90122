import { type Attested, attestWithJoinToken, registerAgent } from './identity.js'
import { type OpenedTask, openTask } from './tasks.js'
import type { TestWarden } from './warden.js'

/** The shipped policy templates, copied into a test's own policy directory beside its extra policies. */
export const SHIPPED_POLICIES = new URL('../../policies/', import.meta.url).pathname

/** A payments server's tools: a write whose arguments policies read (amount, IBAN, speed), and a read. */
export const PAYMENT_TOOLS = [
  {
    name: 'transfer',
    description: 'Transfer money to an account',
    inputSchema: {
      type: 'object',
      properties: {
        amount: { type: 'number' },
        iban: { type: 'string' },
        reference: { type: 'string' },
        speed: { type: 'string', enum: ['standard', 'instant'] },
      },
      required: ['amount', 'iban'],
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
  },
  {
    name: 'balance',
    description: 'Read the balance',
    inputSchema: { type: 'object', properties: { account: { type: 'string' } } },
    annotations: { readOnlyHint: true },
  },
]

/** mulberry32: a seeded generator, so a test's generated requests are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A paying agent with its open task. */
export interface Payer {
  name: string
  who: Attested
  task: OpenedTask
}

/**
 * Three agents at three tiers (standard, low, high) entitled to the payment tools, each attested with a task open
 * to pay the supplier invoices to one IBAN.
 */
export async function openPayers(t: TestWarden): Promise<Payer[]> {
  const payers: Payer[] = []
  for (const [name, tier] of [
    ['treasurer', 'standard'],
    ['auditor', 'low'],
    ['cfo-bot', 'high'],
  ] as const) {
    await registerAgent(t, name, { tier, entitlements: ['transfer', 'balance'] })
    const who = await attestWithJoinToken(t, name)
    const task = (await (
      await openTask(t, who, {
        purpose: 'pay the invoices in the inbox',
        prompt: 'pay the supplier invoices to DE89370400440532013000',
        tools: ['transfer', 'balance'],
      })
    ).json()) as OpenedTask
    payers.push({ name, who, task })
  }
  return payers
}
