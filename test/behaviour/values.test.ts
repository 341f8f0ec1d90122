import { describe, expect, it } from 'vitest'
import { instructionScore } from '../../src/behaviour/detectors/instruction-text.js'
import { Fingerprinter } from '../../src/behaviour/fingerprints.js'
import { credentialsIn } from '../../src/behaviour/task-state.js'
import { canonicalText, embeddedIdentifiers, typedValues } from '../../src/behaviour/values.js'

describe('reading identifiers out of tool outputs', () => {
  it('finds e-mail addresses, links, domains, IBANs and long numbers', () => {
    const text =
      'Contact jane.doe+x@mail.example.co.uk or https://www.example.com/path?q=1 and www.shop.io; ' +
      'IBAN DE89 3704 0044 0532 0130 00, account 123456789012, mailto:bob@ex.org, foo.bar.baz.net/a'
    expect(embeddedIdentifiers(text)).toEqual(
      expect.arrayContaining([
        'jane.doe+x@mail.example.co.uk',
        'bob@ex.org',
        'mail.example.co.uk',
        'https://www.example.com/path?q=1',
        'www.shop.io',
        'foo.bar.baz.net/a',
        'DE89 3704 0044 0532 0130 00',
        '123456789012',
      ]),
    )
    expect(canonicalText('Visit HTTPS://www.Example.com/a or mailto:Bob@ex.org')).toBe(
      'visitexample.com/aorbob@ex.org',
    )
  })

  // An attacker who writes a tool output must not be able to hold the event loop (every session's decisions)
  // with text built to make a backtracking pattern quadratic. 256 KB each: quadratic takes minutes, linear
  // milliseconds, so the test's own time limit is the check.
  const hostile = [
    ...[
      '.',
      'a',
      'a.',
      '1',
      'ab-',
      'a+',
      ' ',
      '\t',
      'a-',
      'x@',
      'send ',
      'a_',
      // Directives run into data: a clause at every other word, and the spans read back before a verb.
      'true send a ',
      'a \t',
      'we ',
      'ly ',
      "a's ",
      'and send the ',
      // Runs an IBAN reader could split many ways.
      `AB12${'C'.repeat(33)} `,
      `AB12${'C'.repeat(28)}-`,
    ].map((unit) => unit.repeat(Math.ceil(262_144 / unit.length))),
    // A run inside one token, between two letters.
    ...['.', '/', '-', '_', '\n', '@'].map((run) => `a${run.repeat(262_144)}b`),
  ]

  // With a request too: the directives in an output are read only for one.
  const reader = { request: 'summarise my week.', designated: false, text: 'Summarise my week.' }

  it('reads hostile outputs in linear time', () => {
    const prints = new Fingerprinter()
    for (const text of hostile) {
      expect(embeddedIdentifiers(text).length).toBeLessThan(10)
      canonicalText(text)
      typedValues(text)
      prints.visit(text, () => undefined)
      instructionScore(text)
      instructionScore(text, ['send_money', 'post_webpage'], reader)
      credentialsIn(text)
    }
  })
})
