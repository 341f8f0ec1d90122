#!/usr/bin/env node
import { describeFailure, EXIT } from './exit-codes.js'
import { buildProgram } from './program.js'

// `warden chain export | head`: the reader went away; stop quietly, as `cat` does.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok)
  throw error
})

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const { exitCode, message } = describeFailure(error)
    // Commander has printed usage errors, help and the version itself.
    const code = (error as { code?: string }).code ?? ''
    if (code.startsWith('commander.')) {
      const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(code)
      process.exit(quiet ? EXIT.ok : code === 'commander.executeSubCommandAsync' ? exitCode : EXIT.usage)
    }
    process.stderr.write(`warden: ${message}\n`)
    process.exit(exitCode)
  })
