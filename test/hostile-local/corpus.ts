/**
 * The bad-local-input corpus: one case per validation rule an admin can trip over from the shell. Each
 * case says what it runs and what the answer must name (the problem, and where there is one, the fix).
 * Import files come from test/fixtures/hostile-inputs/cases.json (shared with protocol/import.test.ts).
 * Placeholders: SRC (an existing folder), DEST (a folder), TMP (a scratch dir).
 */

export interface CliCase {
  name: string
  args: string[]
  /** must appear in stderr (the problem) */
  problem: RegExp
  /** must appear in stderr too (what to do), when the message gives one */
  fix?: RegExp
}

/** Commands against a running agent: exit 1, the ledger unchanged. */
export const AGENT_CASES: CliCase[] = [
  // task add: source and destination
  { name: 'relative source', args: ['task', 'add', '--source', 'relative/path', '--dest', 'file://DEST'], problem: /source: "relative\/path" is not a UNC path or an absolute path/, fix: /write \\\\server\\share/ },
  { name: 'UNC without share', args: ['task', 'add', '--source', '\\\\server', '--dest', 'file://DEST'], problem: /names no share/, fix: /write it as/ },
  { name: 'http destination', args: ['task', 'add', '--source', 'SRC', '--dest', 'http://contoso.sharepoint.com/sites/x'], problem: /uses http/, fix: /https:\/\// },
  { name: 'ftp destination', args: ['task', 'add', '--source', 'SRC', '--dest', 'ftp://x/y'], problem: /neither https:\/\/ nor file:\/\//, fix: /give https:\/\/HOST/ },
  { name: 'file URL with a host', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://host/x'], problem: /names a host/, fix: /file:\/\/\/ABSOLUTE\/DIR/ },
  { name: 'destination with a query', args: ['task', 'add', '--source', 'SRC', '--dest', 'https://contoso.sharepoint.com/sites/x?a=b'], problem: /has a query or fragment/, fix: /without/ },
  { name: 'no destination', args: ['task', 'add', '--source', 'SRC'], problem: /required option '--dest <url>' not specified/, fix: /--help/ },
  { name: 'library with a slash', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://DEST', '--library', 'a/b'], problem: /library: "a\/b" contains a slash/, fix: /--folder/ },
  { name: 'folder escaping upwards', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://DEST', '--folder', '../../etc'], problem: /folder: must not contain "\." or "\.\." segments/, fix: /give the folder inside the library/ },
  { name: 'unknown flag', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://DEST', '--bogus'], problem: /unknown option '--bogus'/, fix: /--help/ },
  // task add: settings flags
  { name: 'impossible date', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://DEST', '--created-after', '2024-13-45'], problem: /MigrateItemsCreatedAfter: "2024-13-45" is not a real calendar date/, fix: /YYYY-MM-DD/ },
  { name: 'word for a date', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://DEST', '--modified-after', 'yesterday'], problem: /MigrateItemsModifiedAfter: "yesterday" is not a date/, fix: /YYYY-MM-DD/ },
  { name: 'extension with a slash', args: ['task', 'add', '--source', 'SRC', '--dest', 'file://DEST', '--skip-ext', 'a/b'], problem: /SkipFilesWithExtensions: "a\/b" is not a file extension/, fix: /txt:mp3/ },
  // ids that do not exist
  { name: 'show unknown task', args: ['task', 'show', 'nope-nope'], problem: /no task nope-nope/, fix: /mmesh task list/ },
  { name: 'pause unknown task', args: ['task', 'pause', 'nope-nope'], problem: /no task nope-nope/, fix: /mmesh task list/ },
  { name: 'cancel unknown task', args: ['task', 'cancel', 'nope-nope'], problem: /no task nope-nope/, fix: /mmesh task list/ },
  { name: 'rerun unknown task', args: ['task', 'rerun', 'nope-nope'], problem: /no task nope-nope/, fix: /mmesh task list/ },
  { name: 'disable unknown agent', args: ['agent', 'disable', 'nobody'], problem: /no agent nobody/, fix: /mmesh agents/ },
  { name: 'extra argument', args: ['task', 'list', '--json', 'extra'], problem: /too many arguments/, fix: /--help/ },
  // settings set
  { name: 'unknown setting', args: ['settings', 'set', 'NoSuchKey', '1'], problem: /unknown setting NoSuchKey/, fix: /use one of ScanOnly/ },
  { name: 'boolean setting', args: ['settings', 'set', 'ScanOnly', 'maybe'], problem: /ScanOnly: "maybe" is not true or false/ },
  { name: 'date setting', args: ['settings', 'set', 'MigrateItemsCreatedAfter', '2024-02-30'], problem: /"2024-02-30" is not a real calendar date/, fix: /YYYY-MM-DD/ },
  { name: 'extension list setting', args: ['settings', 'set', 'SkipFilesWithExtensions', 'a b'], problem: /"a b" is not a file extension/, fix: /txt:mp3/ },
  { name: 'retry window setting', args: ['settings', 'set', 'TaskRetryWindowMinutes', '-3'], problem: /TaskRetryWindowMinutes/ },
  // imports that cannot be read
  { name: 'import of a missing file', args: ['task', 'import', 'TMP/none.csv'], problem: /cannot read .*none\.csv \(ENOENT\)/, fix: /check the path/ },
  { name: 'import of a directory', args: ['task', 'import', 'TMP'], problem: /TMP|EISDIR|directory/ },
  // reports
  { name: 'report status word', args: ['report', '--out', 'TMP/r1', '--status', 'exploded'], problem: /--status exploded: not a task status/, fix: /use queued/ },
  { name: 'report into a file', args: ['report', '--out', '/dev/null/x'], problem: /cannot write the report to \/dev\/null\/x/ },
  // credentials given wrong
  { name: 'tenant id', args: ['auth', 'set', '--tenant', 'x', '--client-id', 'y', '--cert', 'TMP/bad.pem'], problem: /tenant id "x" is neither a GUID/, fix: /copy the Directory \(tenant\) ID/ },
  { name: 'certificate not PEM', args: ['auth', 'set', '--tenant', 'contoso.onmicrosoft.com', '--client-id', '00000000-0000-0000-0000-000000000001', '--cert', 'TMP/bad.pem'], problem: /bad\.pem/ },
  { name: 'certificate missing', args: ['auth', 'set', '--tenant', 'contoso.onmicrosoft.com', '--client-id', '00000000-0000-0000-0000-000000000001', '--cert', 'TMP/none.pem'], problem: /none\.pem/ },
  { name: 'auth test destination', args: ['auth', 'test', '--dest', 'ftp://x'], problem: /--dest "ftp:\/\/x" must be an https:\/\//, },
]

/** `mmesh start` flags on a fresh data dir: exit 1 at once, nothing left running. */
export const START_CASES: CliCase[] = [
  { name: 'capacity word', args: ['--capacity', 'abc'], problem: /--capacity must be a whole number from 0 to 1000, got 'abc'/ },
  { name: 'negative lease', args: ['--lease-ttl', '-5'], problem: /--lease-ttl must be a whole number from 1 to 86400/ },
  { name: 'min free in words', args: ['--min-free-mb', 'lots'], problem: /--min-free-mb must be a whole number from 0 to 1048576, got 'lots'/ },
  { name: 'map without =', args: ['--map', 'nomap'], problem: /--map 'nomap' is not SOURCE_PREFIX=LOCAL_PATH/, fix: /e\.g\. --map/ },
  { name: 'listen garbage', args: ['--listen', 'garbage'], problem: /--listen 'garbage' is not a multiaddr/, fix: /e\.g\./ },
  { name: 'peer garbage', args: ['--peer', 'garbage'], problem: /--peer 'garbage' is not a multiaddr/, fix: /e\.g\./ },
  { name: 'empty group', args: ['--group', ''], problem: /--group must be 1 to 255 characters/ },
  { name: 'huge name', args: ['--name', 'x'.repeat(300)], problem: /--name must be 1 to 255 characters/ },
  { name: 'missing fleet key', args: ['--fleet-key', 'TMP/none.key'], problem: /cannot read fleet key .*none\.key/, fix: /mmesh keygen --out FILE/ },
  { name: 'fleet key garbage', args: ['--fleet-key', 'TMP/bad.key'], problem: /is not a fleet key/, fix: /mmesh keygen --out FILE/ },
]

/** Files in DIR corrupted between two runs of the agent: `start` refuses with exit 2 (or 1) naming the file. */
export const CONFIG_CASES: { name: string; file: string; content: string | Buffer; code: number; problem: RegExp; fix: RegExp; useDirKey?: boolean }[] = [
  { name: 'config.json cut short', file: 'config.json', content: '{"name": 5, ', code: 2, problem: /config .*config\.json is unreadable/, fix: /fix or remove it/ },
  { name: 'config.json an array', file: 'config.json', content: '[]', code: 2, problem: /config\.json is unreadable/, fix: /fix or remove it/ },
  { name: 'config.json wrong type', file: 'config.json', content: '{"capacity": "lots"}', code: 2, problem: /config\.json is unreadable \(capacity/, fix: /fix or remove it/ },
  { name: 'config.json UTF-16 bytes', file: 'config.json', content: Buffer.from([0xff, 0xfe, 0x7b, 0]), code: 2, problem: /config\.json is unreadable/, fix: /fix or remove it/ },
  { name: 'identity key garbage', file: 'identity.key', content: 'garbage', code: 2, problem: /identity key .*identity\.key is unreadable/, fix: /restore it from a backup, or remove it/ },
  { name: 'fleet.key in DIR garbage', file: 'fleet.key', content: 'garbage', code: 1, problem: /fleet key .*fleet\.key is not a fleet key/, fix: /mmesh keygen/, useDirKey: true },
]
