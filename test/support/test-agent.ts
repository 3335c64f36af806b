/**
 * The agent the tests start: the real `mmesh` CLI from the sources, with the test hooks plugged into
 * `start` (agent-test-hooks.ts: connection gate, test.* control methods, slowed destinations, work and
 * copy logs). Everything else is what `bin/mmesh.js` runs.
 *
 *   node bin/run-ts.js test/support/test-agent.ts start --data DIR …
 */
export {}

// As bin/mmesh.js: React's production build, set before anything imports it.
process.env.NODE_ENV ??= 'production'
const { main } = await import('../../cli/main.ts')
const { testAgentPlugins } = await import('./agent-test-hooks.ts')
await main(process.argv, { agentPlugins: testAgentPlugins(process.env) })
