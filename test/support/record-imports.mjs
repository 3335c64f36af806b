// Preloaded with `NODE_OPTIONS=--import=<this file>` and RECORD_IMPORTS_TO=FILE: appends the URL of every
// module the process resolves (its own and its packages', ESM and the CommonJS packages it imports) to
// FILE, one a line. Test-only: tells which libraries a command really loaded.
import { register } from 'node:module'

if (process.env.RECORD_IMPORTS_TO) {
  const hooks = `
import { appendFileSync } from 'node:fs'
const out = ${JSON.stringify(process.env.RECORD_IMPORTS_TO)}
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  appendFileSync(out, r.url + '\\n')
  return r
}
`
  register(`data:text/javascript,${encodeURIComponent(hooks)}`)
}
