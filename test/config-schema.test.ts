import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { configJsonSchema } from '../src/config/index.js'

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')

describe('warden.schema.json', () => {
  it('is exactly what the code generates (regenerate with `npm run docs:schema`)', () => {
    expect(JSON.parse(read('warden.schema.json'))).toEqual(configJsonSchema())
  })

  it('accepts the sample config, which names it for editors, and rejects a bad key', () => {
    const sample = read('examples/warden.yaml')
    expect(sample.split('\n')[0]).toBe('# yaml-language-server: $schema=../warden.schema.json')
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(read('warden.schema.json')))
    expect(validate(parse(sample)), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ ...parse(sample), server: { port: 'eighty' } })).toBe(false)
    expect(validate({ ...parse(sample), unknownKey: true })).toBe(false)
  })
})
