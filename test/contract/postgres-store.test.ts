import { openPostgresTestStore } from '../fakes/postgres.js'
import { runStoreContract } from './store.contract.js'

runStoreContract('postgres', openPostgresTestStore)
