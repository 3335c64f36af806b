#!/usr/bin/env node
// The mmesh command. The polyfill comes first; tsx compiles the TypeScript sources on the fly (cached).
import './polyfill.js'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../node/cli/main.ts')
await main(process.argv)
