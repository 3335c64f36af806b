#!/usr/bin/env node
// The mmesh command: runs the build in dist/ with plain node (`npm run build` makes it; `npm install` in a
// clone runs that build through `prepare`). bin/run-ts.js runs the TypeScript sources instead, for benches.
import './polyfill.js'
import { existsSync } from 'node:fs'

// React's development build re-checks every element on each render: far too slow for a 50,000-task view.
// Set before anything imports React.
process.env.NODE_ENV ??= 'production'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('mmesh: dist/cli/main.js is missing: run `npm run build` in the mmesh folder first\n')
  process.exit(1)
}
const { main } = await import(entry.href)
await main(process.argv)
