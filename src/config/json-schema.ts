import { z } from 'zod'
import { configSchema } from './schema.js'

/**
 * The JSON Schema of `warden.yaml` (as written, before defaults), generated from the zod schema that validates it:
 * `warden.schema.json` at the repository root, for editors (`# yaml-language-server: $schema=…`).
 * `test/config-schema.test.ts` fails when the checked-in file differs (`npm run docs:schema` rewrites it).
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>
  return {
    ...schema,
    $id: 'https://warden.local/warden.schema.json',
    title: 'warden.yaml',
    description: 'Warden configuration. Durations: `30s`, `5m`, `24h`, `7d`, or a number of seconds.',
  }
}
