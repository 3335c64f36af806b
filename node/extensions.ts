/**
 * What runs on top of the agent's core (host, replication, presence, control endpoint): the lease
 * scheduler, the migration engine, item-result replication, the fleet-view feed. The core calls
 * `startExtensions` once it is up and `stop` before it shuts down, so neither side imports the other's
 * internals.
 */
export interface Extension {
  stop(): Promise<void>
}

// `core` is the running agent (node/agent.ts); typed loosely here to keep this file free of a cycle.
export async function startExtensions(_core: unknown): Promise<Extension> {
  return { stop: async () => {} }
}
