/**
 * The user mapping an agent uses for Author/Editor: the fleet's map from the ledger (`mmesh usermap
 * import`, the same on every agent) with this agent's own DIR/user-mapping.csv on top, when an admin
 * keeps one there (an override for logins only this agent's shares know). The file is read again when
 * it changes (modified time and size), so no restart is needed; how many rows it overrides goes into the
 * heartbeat (`userMapOverride`), so `mmesh agents` on any node shows which agents deviate from the fleet.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import type { Ledger } from '../../protocol/ledger.ts'
import { foldUserMap, parseUserMapCsv, userLookup, USERMAP_TARGET, type UserLookup, type UserMapRow } from '../../protocol/usermap.ts'

export const OVERRIDE_FILE = 'user-mapping.csv'

export interface UserMapSourceDeps {
  dataDir: string
  ledger: Pick<Ledger, 'commandsFor'>
  logger: Logger
  /** publishes the override's row count in the heartbeat (undefined: none) */
  setPresenceField(key: string, value: unknown): void
  /** how often the override file is looked at for the heartbeat; default 10 s */
  pollMs?: number
}

export function createUserMapSource(deps: UserMapSourceDeps) {
  const file = path.join(deps.dataDir, OVERRIDE_FILE)
  let override: { key: string; rows: UserMapRow[] | null } = { key: '', rows: null }
  let fleet: { commands: unknown; rows: UserMapRow[] } = { commands: null, rows: [] }
  let lookup: { fleet: UserMapRow[]; override: UserMapRow[] | null; value: UserLookup | null } | null = null

  function overrideRows(): UserMapRow[] | null {
    let key = 'none'
    try {
      const st = fs.statSync(file)
      key = `${st.mtimeMs}:${st.size}`
    } catch {
      /* no override file */
    }
    if (override.key === key) return override.rows
    let rows: UserMapRow[] | null = null
    if (key !== 'none') {
      try {
        const parsed = parseUserMapCsv(file, fs.readFileSync(file, 'utf8'))
        if (parsed.ok) rows = parsed.rows
        else deps.logger.error({ file, errors: parsed.errors.slice(0, 5) }, 'user mapping file ignored')
      } catch (err) {
        deps.logger.error({ file, err: (err as Error).message }, 'user mapping file ignored')
      }
    }
    override = { key, rows }
    deps.setPresenceField('userMapOverride', rows ? rows.length : undefined)
    return rows
  }

  function fleetRows(): UserMapRow[] {
    const commands = deps.ledger.commandsFor(USERMAP_TARGET)
    // commandsFor hands out a new array per call; its records are the ledger's frozen objects
    const stamp = commands.map((c) => `${c.by}/${c.hlc}`).join(',')
    if (fleet.commands !== stamp) fleet = { commands: stamp, rows: foldUserMap(commands).rows }
    return fleet.rows
  }

  const timer = setInterval(overrideRows, deps.pollMs ?? 10_000)
  timer.unref()
  overrideRows()

  return {
    /** What a task opened now maps by: null when neither the fleet nor this agent has a map. */
    current(): UserLookup | null {
      const f = fleetRows()
      const o = overrideRows()
      if (lookup && lookup.fleet === f && lookup.override === o) return lookup.value
      const value = f.length === 0 && !o ? null : userLookup(f, o ?? [])
      lookup = { fleet: f, override: o, value }
      return value
    },
    stop(): void {
      clearInterval(timer)
    },
  }
}

export type UserMapSource = ReturnType<typeof createUserMapSource>
