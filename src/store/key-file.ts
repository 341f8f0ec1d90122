import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { WardenError } from '../kernel/index.js'

/**
 * A JSON document of key material in the data directory: written atomically (temp file, fsync, rename) with
 * mode 0600, so a crash mid-write leaves the previous version and no other user can read it.
 */
export function jsonKeyFile<T>(path: string): {
  load(): Promise<T | undefined>
  save(value: T): Promise<void>
} {
  return {
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw new WardenError('STORE_UNAVAILABLE', `cannot read key file \`${path}\``, { cause })
      }
      try {
        return JSON.parse(text) as T
      } catch (cause) {
        throw new WardenError('STORE_UNAVAILABLE', `key file \`${path}\` is corrupt`, { cause })
      }
    },
    async save(value) {
      const temp = `${path}.${process.pid}.tmp`
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 })
        await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flush: true })
        await chmod(temp, 0o600)
        await rename(temp, path)
      } catch (cause) {
        throw new WardenError('STORE_UNAVAILABLE', `cannot write key file \`${path}\``, { cause })
      }
    },
  }
}
