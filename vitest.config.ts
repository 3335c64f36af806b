import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['protocol/**/*.test.ts', 'agent/**/*.test.ts', 'api/**/*.test.ts', 'cli/**/*.test.ts', 'tui/**/*.test.tsx', 'tui/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    setupFiles: ['./bin/polyfill.js'],
    // tests spawn bin/mmesh.js, which runs dist/: rebuilt first when a source changed
    globalSetup: ['./test/support/build-dist.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Multi-process fleet tests start several agents each; on a 2-core machine running many files at
    // once starves them, so files run a few at a time.
    maxWorkers: 2,
    fileParallelism: true,
    pool: 'forks',
  },
})
