import { describe, expect, it } from 'vitest'
import { showArguments } from './approval-arguments.js'

describe('showArguments', () => {
  const ARGS = {
    to: 'a@example.com',
    nested: { 'a/b': ['hello', 'pass=s3cr3t-lease-value ok'], count: 3 },
    password: 'hunter2',
  }

  it('hides credential names and a held value wherever it appears, and shows the rest as sent', () => {
    const shown = showArguments(ARGS, 'internal', ['s3cr3t-lease-value'])
    expect(shown.arguments).toEqual({
      to: 'a@example.com',
      nested: { 'a/b': ['hello', 'pass=[redacted] ok'], count: 3 },
      password: '[redacted]',
    })
    expect(shown.redacted.sort()).toEqual(['/nested/a~1b/1', '/password'])
  })

  it('shows the value when no lease holds it (the control for the case above)', () => {
    const shown = showArguments(ARGS, 'internal', [])
    expect((shown.arguments.nested as { 'a/b': string[] })['a/b'][1]).toBe('pass=s3cr3t-lease-value ok')
  })

  it('keeps names and structure but no value for a restricted tool', () => {
    const shown = showArguments(ARGS, 'restricted', [])
    expect(shown.arguments).toEqual({
      to: '[redacted]',
      nested: { 'a/b': ['[redacted]', '[redacted]'], count: '[redacted]' },
      password: '[redacted]',
    })
  })
})
