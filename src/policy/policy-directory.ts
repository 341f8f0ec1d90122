import { type FSWatcher, readdirSync, readFileSync, watch } from 'node:fs'
import { join } from 'node:path'
import { WardenError } from '../kernel/index.js'
import type { PolicySource } from './policy-set.js'

/** Reads every `.cedar` file of a directory (not recursive), names relative to it. */
export function readPolicyDirectory(dir: string): PolicySource[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.cedar'))
  } catch (cause) {
    throw new WardenError('POLICY_INVALID', `cannot read policy directory \`${dir}\``, { cause })
  }
  return names.sort().map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }))
}

/**
 * Watches a policy directory and calls `reload` once per burst of changes (editors write several times).
 * Returns a function that stops watching.
 */
export function watchPolicyDirectory(dir: string, reload: () => void, debounceMs = 150): () => void {
  let timer: NodeJS.Timeout | undefined
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dir, () => {
      clearTimeout(timer)
      timer = setTimeout(reload, debounceMs)
    })
  } catch {
    return () => {}
  }
  return () => {
    clearTimeout(timer)
    watcher?.close()
  }
}
