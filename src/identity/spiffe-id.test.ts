import { describe, expect, it } from 'vitest'
import { matchesPattern } from './spiffe-id.js'

describe('matchesPattern: rule globs are a security boundary', () => {
  it('lets `*` match within one SPIFFE path segment', () => {
    expect(
      matchesPattern('spiffe://partner.example/ns/prod/sa/*', 'spiffe://partner.example/ns/prod/sa/billing'),
    ).toBe(true)
    expect(
      matchesPattern(
        'spiffe://partner.example/ns/*/sa/billing',
        'spiffe://partner.example/ns/prod/sa/billing',
      ),
    ).toBe(true)
  })

  it('never lets `*` cross a `/`: a rule for …/sa/* does not admit a deeper path', () => {
    expect(
      matchesPattern(
        'spiffe://partner.example/ns/prod/sa/*',
        'spiffe://partner.example/ns/prod/sa/billing/admin',
      ),
    ).toBe(false)
    expect(
      matchesPattern(
        'spiffe://partner.example/ns/*/sa/billing',
        'spiffe://partner.example/ns/a/b/sa/billing',
      ),
    ).toBe(false)
    expect(matchesPattern('spiffe://partner.example/*', 'spiffe://partner.example/')).toBe(false)
    expect(matchesPattern('spiffe://partner.example/ns/prod', 'spiffe://partner.example//ns/prod')).toBe(
      false,
    )
  })

  it('lets `*` match within one claim segment, never across `:` or `/`', () => {
    const rule = 'system:serviceaccount:payments:billing-*'
    expect(matchesPattern(rule, 'system:serviceaccount:payments:billing-7f9c')).toBe(true)
    expect(matchesPattern(rule, 'system:serviceaccount:payments:billing-7:admin')).toBe(false)
    expect(matchesPattern(rule, 'system:serviceaccount:payments:billing-7/admin')).toBe(false)
    // Separators are not interchangeable.
    expect(matchesPattern(rule, 'system:serviceaccount:payments/billing-7')).toBe(false)
  })

  it('treats every other glob syntax as literal text', () => {
    expect(matchesPattern('repo:org/{app,evil}:ref:main', 'repo:org/app:ref:main')).toBe(false)
    expect(matchesPattern('repo:org/[a-z]pp', 'repo:org/app')).toBe(false)
    expect(matchesPattern('repo:org/!(x)', 'repo:org/app')).toBe(false)
    expect(matchesPattern('repo:org/app:ref:refs/heads/main', 'repo:org/app:ref:refs/heads/main')).toBe(true)
    expect(matchesPattern('Exact', 'exact')).toBe(false)
  })
})
