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
