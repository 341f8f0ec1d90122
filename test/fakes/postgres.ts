import pg from 'pg'
import { createPostgresStore, type Store } from '../../src/store/index.js'

/** The PostgreSQL the machine (and CI) runs; override with WARDEN_TEST_PG_URL. */
export const TEST_PG_URL = process.env.WARDEN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A store confined to a fresh schema, dropped by `dispose`. */
export async function openPostgresTestStore(): Promise<{
  store: Store
  schema: string
  dispose: () => Promise<void>
}> {
  const schema = `warden_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = new pg.Client({ connectionString: TEST_PG_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const store = createPostgresStore({ url: TEST_PG_URL, schema, max: 4 })
  return {
    store,
    schema,
    dispose: async () => {
      await store.close()
      const cleanup = new pg.Client({ connectionString: TEST_PG_URL })
      await cleanup.connect()
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`)
      await cleanup.end()
    },
  }
}
