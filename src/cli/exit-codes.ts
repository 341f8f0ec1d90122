import { CommanderError } from 'commander'
import { isWardenError } from '../kernel/index.js'
import { WardenApiError } from '../sdk/index.js'

/**
 * The CLI's exit codes, documented in docs/cli.md: scripts tell a typo from a refusal from a server that is
 * down without parsing messages.
 */
export const EXIT = {
  ok: 0,
  /** Anything else: an invalid config, a damaged chain, a failed check. */
  failure: 1,
  /** Unknown command or option, a missing or malformed argument. */
  usage: 2,
  /** No or wrong admin token, an expired or refused credential. */
  auth: 3,
  /** The agent, task, instance, approval or tool named does not exist. */
  notFound: 4,
  /** Warden could not be reached at the URL. */
  unreachable: 5,
  /** Warden understood and refused: denied, disabled, quarantined, conflicting, not allowed. */
  refused: 6,
} as const

/** An error the CLI raises itself, with the exit code it means. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

const AUTH = /^(UNAUTHENTICATED|TOKEN_|PROOF_|JOIN_TOKEN_|CREDENTIAL_REUSE|TASK_CLOSED)/

/** The exit code of an error code (from the server or from local code). */
export function exitCodeOfCode(code: string, status?: number): number {
  if (code === 'BAD_REQUEST') return EXIT.usage
  if (AUTH.test(code) || status === 401) return EXIT.auth
  if (code === 'NOT_FOUND' || code.endsWith('_NOT_FOUND') || status === 404) return EXIT.notFound
  if (code === 'STORE_UNAVAILABLE' || code === 'UPSTREAM_UNAVAILABLE') return EXIT.unreachable
  if (status === 403 || status === 409 || status === 422 || code === 'FORBIDDEN') return EXIT.refused
  return EXIT.failure
}

/** The exit code and one-line message of whatever an action threw. */
export function describeFailure(error: unknown): { exitCode: number; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message }
  if (error instanceof CommanderError) return { exitCode: error.exitCode, message: error.message }
  if (error instanceof WardenApiError)
    return { exitCode: exitCodeOfCode(error.code, error.status), message: `${error.code}: ${error.message}` }
  if (isWardenError(error))
    return { exitCode: exitCodeOfCode(error.code), message: `${error.code}: ${error.message}` }
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return { exitCode: EXIT.notFound, message: String((error as Error).message) }
  return { exitCode: EXIT.failure, message: String((error as Error | undefined)?.message ?? error) }
}
