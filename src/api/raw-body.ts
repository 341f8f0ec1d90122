import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import { WardenError } from '../kernel/index.js'

function tooLarge(limit: number): WardenError {
  return new WardenError('PAYLOAD_TOO_LARGE', `the request body exceeds ${limit} bytes`)
}

/** Reads a Node request's body as it arrives, failing once it passes `limit` (the rest is left unread). */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (error?: unknown) => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', done)
      if (error !== undefined) reject(error)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > limit) {
        incoming.pause()
        done(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      done()
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
    }
    incoming.on('data', onData)
    incoming.on('end', onEnd)
    incoming.on('error', done)
  })
}

/** Reads a web request's body stream, failing once it passes `limit`. */
async function readStream(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

/**
 * The body of a request whose handler reads it itself (the gateway's `/mcp/NAME`), within `limit` bytes
 * (`server.bodyLimitBytes`, as `bodyLimit` applies to every other route): under `@hono/node-server`, straight from
 * Node's request, without the web `Request` and stream the adapter would build around it for `arrayBuffer()` — a
 * sizeable share of a gateway call's CPU. A body announced larger is refused at once, before the handler runs
 * (as `bodyLimit` refuses it); the returned function reads the body when the handler wants it.
 */
export function rawBodyOf(c: Context, limit: number): () => Promise<Uint8Array> {
  const declared = c.req.header('content-length')
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
  return () => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
    // Only a body no one has started reading (the adapter's web stream, once made, takes Node's `data` events).
    if (incoming && incoming.readableFlowing === null && !incoming.readableEnded)
      return readIncoming(incoming, limit)
    return readStream(c.req.raw, limit)
  }
}
