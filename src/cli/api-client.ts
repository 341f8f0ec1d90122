import { WardenApiError } from '../sdk/index.js'
import { CliError, EXIT } from './exit-codes.js'

/** A small client for the admin API, used by the CLI. */
export interface ApiClient {
  readonly base: string
  call<T>(method: string, path: string, body?: unknown): Promise<T>
}

/** The server URL: `--url`, else `$WARDEN_URL`, else the default listen address. */
export function serverUrl(options: { url?: string | undefined }): string {
  return options.url ?? process.env.WARDEN_URL ?? 'http://127.0.0.1:8700'
}

/** Reads the server URL and token from flags and the environment: an operator's `$WARDEN_TOKEN`, else the admin's. */
export function createApiClient(options: { url?: string | undefined }): ApiClient {
  const base = serverUrl(options)
  const token = process.env.WARDEN_TOKEN || process.env.WARDEN_ADMIN_TOKEN
  return {
    base,
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
        throw new CliError(
          `cannot reach warden at \`${base}\` (set --url or $WARDEN_URL)`,
          EXIT.unreachable,
          { cause },
        )
      }
      const payload = (await response.json().catch(() => ({}))) as { code?: string; message?: string }
      if (!response.ok) {
        const hint =
          response.status === 401 && !token
            ? ' (set $WARDEN_TOKEN to your operator token, or $WARDEN_ADMIN_TOKEN; the first start prints it)'
            : ''
        throw new WardenApiError(
          payload.code ?? String(response.status),
          `${payload.message ?? response.statusText}${hint}`,
          response.status,
        )
      }
      return payload as T
    },
  }
}
