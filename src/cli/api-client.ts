import { WardenError } from '../kernel/index.js'

/** A small client for the admin API, used by the CLI. */
export interface ApiClient {
  call<T>(method: string, path: string, body?: unknown): Promise<T>
}

/** Reads the server URL and admin token from flags and the environment. */
export function createApiClient(options: { url?: string | undefined }): ApiClient {
  const base = options.url ?? process.env.WARDEN_URL ?? 'http://127.0.0.1:8700'
  const token = process.env.WARDEN_ADMIN_TOKEN
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = {}
      if (token) headers.authorization = `Bearer ${token}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      let response: Response
      try {
        response = await fetch(new URL(path, base), {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
      } catch (cause) {
        throw new WardenError('STORE_UNAVAILABLE', `cannot reach warden at \`${base}\``, { cause })
      }
      const payload = (await response.json().catch(() => ({}))) as { code?: string; message?: string }
      if (!response.ok) {
        const error = new Error(
          `${payload.code ?? response.status}: ${payload.message ?? response.statusText}`,
        )
        throw Object.assign(error, { exitCode: 1 })
      }
      return payload as T
    },
  }
}
