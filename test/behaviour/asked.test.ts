import { describe, expect, it } from 'vitest'
import { isAsked, toolActionsOf } from '../../src/behaviour/detectors/asked.js'
import { TaskState } from '../../src/behaviour/task-state.js'
import type { ToolDefinition } from '../../src/catalog/index.js'

const tool = (name: string, description: string): ToolDefinition => ({
  name,
  description,
  inputSchema: { type: 'object', properties: {} },
  annotations: { readOnlyHint: false },
})
const state = (prompt: string) => new TaskState({ prompt })

// Descriptions shaped like real servers': the action first, then what the tool takes, returns and is for.
const REFUND = tool(
  'create_refund',
  'Refunds a charge, fully or partially. Use when a customer writes about a late order or a damaged item.',
)
const SEND_EMAIL = tool(
  'send_email',
  'Sends an email with the given `body` to the given `address`. Attachments are files of the cloud drive.',
)
const SHARE = tool(
  'share_file',
  'Share a file with a user. The account owner is notified by e-mail of every new member.',
)
const PAYMENT = tool('make_payment', 'Makes a payment from the account to a payee.')

describe('is the action asked for: the request against what the tool does', () => {
  it("reads a tool's action from its name and its description's opening verb, not from the rest", () => {
    expect([...toolActionsOf(REFUND)]).toEqual(expect.arrayContaining(['creat', 'refund']))
    expect(toolActionsOf(REFUND).has('custom')).toBe(false)
    expect(toolActionsOf(SEND_EMAIL).has('address')).toBe(false)
    // A verb that says nothing by itself gives way to the word it takes: "make_payment" is a payment.
    expect(toolActionsOf(PAYMENT).has('payment')).toBe(true)
  })

  it('does not count a noun the request shares with the rest of a description as asking for the action', () => {
    expect(
      isAsked(state('Reply to the customer about their late order, with the new delivery date.'), REFUND),
    ).toBe(false)
    expect(isAsked(state('Update the address of the Lisbon office in the contacts sheet.'), SEND_EMAIL)).toBe(
      false,
    )
    expect(isAsked(state('Create a folder for the account owner and move the drafts there.'), SHARE)).toBe(
      false,
    )
  })

  it('counts the action asked in its own words, a nominalised action, or its object (positive controls)', () => {
    expect(isAsked(state('Refund the customer for the late order 5521.'), REFUND)).toBe(true)
    expect(isAsked(state('Please process a refund for order 5521.'), REFUND)).toBe(true)
    expect(isAsked(state('Email the delivery date to the customer.'), SEND_EMAIL)).toBe(true)
    expect(isAsked(state('Share the Q3 deck with Dana.'), SHARE)).toBe(true)
    expect(isAsked(state('Put the deck file in Dana’s hands.'), SHARE)).toBe(true)
    expect(isAsked(state('Make the payment for the March invoice.'), PAYMENT)).toBe(true)
  })

  it('still leaves out what a clause only reads, and says nothing for a request with no content words', () => {
    expect(isAsked(state('Read the refund policy and tell me what it says about late orders.'), REFUND)).toBe(
      false,
    )
    expect(isAsked(state('Hi!'), REFUND)).toBe(true)
  })
})
