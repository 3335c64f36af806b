/**
 * Every environment variable mmesh reads, with its default and meaning, and the one place that reads
 * them: other modules are given the values. README's "Environment variables" section is this table
 * (env.test.ts checks both, and that no production file reads a variable missing from it).
 */

export interface EnvVar {
  name: string
  /** as shown to an admin */
  default: string
  meaning: string
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'MMESH_DATA', default: '`~/.mmesh`', meaning: 'data dir when `--data` is not given (read in `api/data-dir.ts`, shared with the clients)' },
  { name: 'MMESH_LOG_LEVEL', default: '`info`', meaning: 'log level of the agent (pino: `trace` … `fatal`, `silent`)' },
  { name: 'MMESH_HEARTBEAT_MS', default: '2000', meaning: 'presence heartbeat period; an agent is offline after three missed' },
  { name: 'MMESH_ANTI_ENTROPY_MS', default: '3000', meaning: 'period of the ledger digest gossip that finds and repairs divergence (an unchanged digest goes out every 4th period)' },
  { name: 'MMESH_BATCH_MS', default: '30', meaning: 'local ledger changes are gathered this long into one broadcast' },
  { name: 'MMESH_AGENT_FILE_CONCURRENCY', default: '32', meaning: 'files copied at once by the whole agent, all tasks together' },
  { name: 'MMESH_CHECKPOINT_MS', default: '30000', meaning: 'a running task writes its counts to the ledger this often' },
  { name: 'MMESH_RETRY_INTERVAL_MS', default: '30000', meaning: 'wait between retries of a round hit by a task-wide error' },
  { name: 'MMESH_RANK_STEP_MS', default: '3 × heartbeat, at least 1500', meaning: 'how much longer each lower-ranked agent waits before claiming a free task' },
  { name: 'MMESH_SETTLE_MS', default: '300', meaning: 'least wait after a claim before the destination is touched (the claim is then checked again)' },
  { name: 'MMESH_TICK_MS', default: '500', meaning: 'how often the scheduler looks for tasks to claim or take over' },
  { name: 'MMESH_TENANT_ID', default: 'from `mmesh auth set`', meaning: 'SharePoint app-only sign-in: Entra tenant id (overrides DIR/auth.json)' },
  { name: 'MMESH_CLIENT_ID', default: 'from `mmesh auth set`', meaning: 'SharePoint app-only sign-in: application (client) id' },
  { name: 'MMESH_CERT_FILE', default: 'from `mmesh auth set`', meaning: 'SharePoint app-only sign-in: PEM file with the certificate and its private key' },
  { name: 'MMESH_AUTHORITY', default: '`https://login.microsoftonline.com`', meaning: 'SharePoint app-only sign-in: the Entra authority (another cloud, or a test emulator)' },
]

type Env = Readonly<Record<string, string | undefined>>

/** A positive number, else undefined (unset, empty or nonsense falls back to the default). */
function positive(env: Env, name: string): number | undefined {
  const v = Number(env[name])
  return Number.isFinite(v) && v > 0 ? v : undefined
}

/** What the agent takes from its environment; unset timings keep the defaults of the module using them. */
export interface AgentEnv {
  logLevel: string
  heartbeatMs: number
  antiEntropyMs: number
  batchMs: number
  agentFileConcurrency: number
  checkpointMs?: number
  retryIntervalMs?: number
  rankStepMs?: number
  settleMs?: number
  tickMs?: number
}

export function readAgentEnv(env: Env = process.env): AgentEnv {
  const optional = (key: keyof AgentEnv, name: string) => {
    const v = positive(env, name)
    return v === undefined ? {} : { [key]: v }
  }
  return {
    logLevel: readLogLevel(env),
    heartbeatMs: positive(env, 'MMESH_HEARTBEAT_MS') ?? 2000,
    antiEntropyMs: positive(env, 'MMESH_ANTI_ENTROPY_MS') ?? 3000,
    batchMs: positive(env, 'MMESH_BATCH_MS') ?? 30,
    agentFileConcurrency: positive(env, 'MMESH_AGENT_FILE_CONCURRENCY') ?? 32,
    ...optional('checkpointMs', 'MMESH_CHECKPOINT_MS'),
    ...optional('retryIntervalMs', 'MMESH_RETRY_INTERVAL_MS'),
    ...optional('rankStepMs', 'MMESH_RANK_STEP_MS'),
    ...optional('settleMs', 'MMESH_SETTLE_MS'),
    ...optional('tickMs', 'MMESH_TICK_MS'),
  }
}

export function readLogLevel(env: Env = process.env): string {
  return env.MMESH_LOG_LEVEL || 'info'
}

/** SharePoint app credentials from the environment; each one set overrides DIR/auth.json's. */
export interface CredentialOverrides {
  tenantId?: string
  clientId?: string
  certFile?: string
  authority?: string
}

export function readCredentialOverrides(env: Env = process.env): CredentialOverrides {
  const pick = (name: string) => env[name] || undefined
  return { tenantId: pick('MMESH_TENANT_ID'), clientId: pick('MMESH_CLIENT_ID'), certFile: pick('MMESH_CERT_FILE'), authority: pick('MMESH_AUTHORITY') }
}

/** The table as README shows it (env.test.ts keeps README's section equal to this). */
export function envTableMarkdown(): string {
  const rows = ENV_VARS.map((v) => `| \`${v.name}\` | ${v.default} | ${v.meaning} |`)
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n')
}
