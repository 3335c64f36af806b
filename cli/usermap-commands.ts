/**
 * `mmesh usermap …`: the fleet's user mapping (Migration Manager's user-mapping CSV: no header; source
 * login, destination UPN, TRUE for a group), kept in the ledger so every agent maps authors the same way.
 * Thin clients of the agent on --data DIR; files are read and written here, on the admin's machine.
 */
import type { Command } from 'commander'
import { callAgent } from '../api/client.ts'
import { CliError } from '../api/errors.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import { note, out, warn } from './output.ts'

interface Opts {
  data?: string
  json?: boolean
}

export function registerUserMapCommands(program: Command): void {
  const usermap = program.command('usermap').description("the fleet's user mapping (Migration Manager's user-mapping CSV), used for authors by every agent")

  usermap
    .command('import')
    .description("replace the fleet's user map with a user-mapping CSV (no header: source login, UPN, TRUE/FALSE for a group); all or nothing")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<file>', 'the CSV file')
    .action(async (file: string, opts: Opts) => {
      // The same checks as task import: size and kind before the file is read whole.
      const { readImportFile } = await import('../api/import-file.ts')
      const { fileName, content } = await readImportFile(file)
      const r = await callAgent(resolveDataDir(opts.data), 'usermap.import', { fileName, content: content.toString('base64') }, { timeoutMs: 120_000 })
      out(`${r.rows} users mapped${r.replaced > 0 ? ` (replacing a map of ${r.replaced})` : ''}`)
    })

  usermap
    .command('list')
    .description("the fleet's user map: source login, UPN, group")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--json', 'print JSON')
    .action(async (opts: Opts) => {
      const m = await callAgent(resolveDataDir(opts.data), 'usermap.list', {}, { timeoutMs: 60_000 })
      if (opts.json) return out(JSON.stringify(m.rows, null, 2))
      if (m.rows.length === 0) return warn('the fleet has no user map yet: import one with mmesh usermap import FILE')
      const body = m.rows.map((r) => [r.source, r.upn, r.group ? 'group' : 'user'].map(terminalSafe))
      const header = ['SOURCE LOGIN', 'UPN', 'KIND']
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
      out([header, ...body].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n'))
    })

  usermap
    .command('export')
    .description("write the fleet's user map to a user-mapping CSV (Migration Manager's format) to edit and import again")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<file>', 'the CSV file to write')
    .action(async (file: string, opts: Opts) => {
      const m = await callAgent(resolveDataDir(opts.data), 'usermap.list', {}, { timeoutMs: 60_000 })
      const { userMapCsvRecords } = await import('../protocol/usermap.ts')
      const { stringify } = await import('csv-stringify/sync')
      const { writeFile } = await import('node:fs/promises')
      try {
        // No BOM: Migration Manager's file has no header, and a BOM would become part of the first login.
        await writeFile(file, stringify(userMapCsvRecords(m.rows), { record_delimiter: 'windows' }), { flag: 'w' })
      } catch (err) {
        throw new CliError(`cannot write ${file}: ${(err as Error).message}`)
      }
      out(`${m.rows.length} users written to ${terminalSafe(file)}`)
    })

  usermap
    .command('check')
    .description("the source owners and permission principals of a task's last scan that the fleet's user map does not resolve (exit 1 when any)")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--json', 'print JSON')
    .argument('<id>', 'task id (or a unique prefix of it)')
    .action(async (id: string, opts: Opts) => {
      const r = await callAgent(resolveDataDir(opts.data), 'usermap.check', { id }, { timeoutMs: 60_000 })
      if (r.unresolved.length > 0) process.exitCode = 1
      if (opts.json) return out(JSON.stringify(r, null, 2))
      const { principalRole } = await import('../protocol/usermap.ts')
      // LOGIN, what it is (owner, permission user/group/entry), why: owners first, as the agent lists them
      for (const u of r.unresolved) out(`${terminalSafe(u.login)}\t${principalRole(u)}\t${u.reason}`)
      const plus = (truncated: boolean) => (truncated ? '+' : '')
      const owners = `${r.owners}${plus(r.ownersTruncated)}`
      const of = r.permissionsRead
        ? `the ${r.owners + r.principals}${plus(r.ownersTruncated || r.principalsTruncated)} source principals of task ${r.taskId} (round ${r.round} scan: ${owners} owners, ${r.principals}${plus(r.principalsTruncated)} permission principals)`
        : `${owners} source owners of task ${r.taskId} (round ${r.round} scan)`
      if (r.unresolved.length > 0) warn(`${r.unresolved.length} of ${of} do not resolve: add them to the user-mapping file (a user with FALSE in column C, a group with TRUE) and run mmesh usermap import FILE`)
      else note(`all ${of} resolve`)
      // say so rather than imply the share has no permission entries
      if (!r.permissionsRead) note(`permission entries were not read by this scan (PreserveUserPermissionsForFileShare off): to check them too, mmesh task edit ${r.taskId} --preserve-permissions, then mmesh task rerun ${r.taskId}`)
    })
}
