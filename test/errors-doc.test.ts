import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { HTTP_STATUS } from '../src/api/index.js'
import { ERROR_CODES } from '../src/kernel/index.js'

const rows = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => /^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/.exec(line))
  .filter((match): match is RegExpExecArray => match !== null)

describe('docs/errors.md', () => {
  it('documents every error code, and only those', () => {
    expect(rows.map((row) => row[1]).sort()).toEqual(Object.keys(ERROR_CODES).sort())
  })

  it('states the HTTP status each code is answered with', () => {
    for (const row of rows)
      expect([row[1], Number(row[2])]).toEqual([row[1], HTTP_STATUS[row[1] as keyof typeof HTTP_STATUS]])
  })
})
