// Regenerates warden.schema.json from the zod schema of warden.yaml (src/config/schema.ts).
// Run with `npm run docs:schema`; test/config-schema.test.ts fails when the two drift apart.
import { writeFileSync } from 'node:fs'
import { configJsonSchema } from '../dist/src/config/index.js'

writeFileSync(
  new URL('../warden.schema.json', import.meta.url),
  `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
)
