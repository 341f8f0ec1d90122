import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCluster, type TestCluster } from '../fakes/cluster.js'

describe('operators on two nodes sharing PostgreSQL', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startCluster(2)
  }, 120_000)
  afterAll(() => cluster?.dispose())

  it('accepts an operator added on one node on the other, and refuses it there on the first request after its revocation', async () => {
    const added = await cluster.admin(0, 'POST', '/v1/operators', { name: 'dana', role: 'viewer' })
    expect(added.status).toBe(201)
    const { token } = (await added.json()) as { token: string }
    const onB = () =>
      fetch(`${cluster.nodes[1]?.url}/v1/agents`, { headers: { authorization: `Bearer ${token}` } })
    expect((await onB()).status).toBe(200)
    // The role holds on the other node too: a viewer may not register an agent.
    const register = await fetch(`${cluster.nodes[1]?.url}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', owner: 'o@example.com', tier: 'low' }),
    })
    expect(register.status).toBe(403)

    expect((await cluster.admin(0, 'POST', '/v1/operators/dana/revoke')).status).toBe(200)
    expect((await onB()).status).toBe(401)
    // Stored as a hash on the shared store, never as the token.
    const rows = await cluster.sql<{ token_hash: string }>(`SELECT token_hash FROM operators`)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/)
  })
})
