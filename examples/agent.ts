// An agent on Warden's SDK, in about twenty lines: restore the instance saved by `warden attest`, open a task that
// declares what it will do, and call tools through the MCP gateway. Run: `node dist/examples/agent.js CRED.json`.
import { readFileSync, writeFileSync } from 'node:fs'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type AgentCredential, WardenAgent } from '../src/sdk/index.js'

const file = process.argv[2] ?? 'agent.cred.json'
const agent = await WardenAgent.restore(JSON.parse(readFileSync(file, 'utf8')) as AgentCredential)
agent.onRenew = (renewed) => writeFileSync(file, JSON.stringify(renewed, null, 2), { mode: 0o600 })
const task = await agent.openTask({
  purpose: 'summarise the team notes',
  prompt: 'Summarise notes.txt for me',
  tools: ['read_text_file'],
})
const url = new URL('/mcp/files', agent.url).toString()
const client = new Client({ name: 'example-agent', version: '1.0.0' })
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), { fetch: agent.gatewayFetch(task, url) }),
)
const read = await client.callTool({ name: 'read_text_file', arguments: { path: 'notes.txt' } })
console.log(`read_text_file → allowed: ${JSON.stringify(read.content).slice(0, 70)}…`)
try {
  await client.callTool({ name: 'write_file', arguments: { path: 'out.txt', content: 'hi' } })
  console.log('write_file → allowed (unexpected)')
} catch (error) {
  console.log(`write_file → denied: ${(error as Error).message}`)
}
await client.close()
await agent.closeTask(task, 'notes summarised')
