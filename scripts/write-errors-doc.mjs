// Regenerates docs/errors.md from the error catalogue (src/kernel/errors.ts) and the HTTP mapping
// (src/api/errors.ts). Run with `npm run docs:errors`; test/errors-doc.test.ts fails when they drift apart.
import { writeFileSync } from 'node:fs'
import { HTTP_STATUS } from '../dist/src/api/index.js'
import { ERROR_CODES } from '../dist/src/kernel/index.js'

let out = `# Error codes

Every error Warden reports has a stable \`code\`. The HTTP API answers with the status below and the body
\`{ "code", "message" }\`; the CLI prints \`code: message\` and exits with its class's code ([\`docs/cli.md\`](cli.md)). Messages are for people and may change;
codes do not. \`test/errors-doc.test.ts\` keeps this table and \`src/kernel/errors.ts\` equal
(regenerate with \`npm run docs:errors\`).

| code | HTTP | meaning |
| --- | --- | --- |
`
for (const [code, meaning] of Object.entries(ERROR_CODES))
  out += `| \`${code}\` | ${HTTP_STATUS[code]} | ${meaning} |\n`
writeFileSync(new URL('../docs/errors.md', import.meta.url), out)
