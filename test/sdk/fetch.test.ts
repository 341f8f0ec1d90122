import { getEventListeners } from 'node:events'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchWithOwnSignals } from '../../src/sdk/index.js'

describe('fetchWithOwnSignals', () => {
  let server: Server
  let url: string
  const streams: ServerResponse[] = []

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/stream') {
        // An event stream that stays open, as a long tool call's answer does.
        response.writeHead(200, { 'content-type': 'text/event-stream' })
        response.write('data: first\n\n')
        streams.push(response)
        return
      }
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"ok":true}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    for (const stream of streams) stream.end()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('leaves one listener on a signal shared by many requests', async () => {
    const shared = new AbortController()
    const send = fetchWithOwnSignals()
    for (let i = 0; i < 50; i++)
      expect(await (await send(`${url}/json`, { signal: shared.signal })).json()).toEqual({ ok: true })
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1)
  })

  it('aborts a response still being read when the shared signal aborts, and refuses new requests', async () => {
    const shared = new AbortController()
    const send = fetchWithOwnSignals()
    const response = await send(`${url}/stream`, { signal: shared.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('first')
    const next = reader.read()
    shared.abort(new Error('transport closed'))
    await expect(next).rejects.toThrow()
    await expect(send(`${url}/json`, { signal: shared.signal })).rejects.toThrow('transport closed')
  })
})
