import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../../src/store/index.js'
import { runStoreContract } from './store.contract.js'

runStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-store-'))
  const store = new SqliteStore(join(dir, 'warden.db'))
  return {
    store,
    dispose: async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})
