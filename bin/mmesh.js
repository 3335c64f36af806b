#!/usr/bin/env node
// The mmesh command. The polyfill comes first; tsx compiles the TypeScript sources on the fly (cached).
import './polyfill.js'
// React's development build re-checks every element on each render: far too slow for a 50,000-task view.
process.env.NODE_ENV ??= 'production'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/main.ts')
await main(process.argv)
