/** The fleet key: a libp2p private-network pre-shared key. Agents with different keys never connect. */
import fs from 'node:fs'
import crypto from 'node:crypto'
import { CliError, EXIT } from '../../api/errors.ts'
import { files } from '../../api/data-dir.ts'
import { writeFileAtomic } from './data-dir.ts'

const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'

export function generateFleetKey(): string {
  return `${HEADER}${crypto.randomBytes(32).toString('hex')}\n`
}

export function writeNewFleetKey(file: string): void {
  if (fs.existsSync(file)) throw new CliError(`${file} exists already: choose another --out path or remove it first`)
  try {
    writeFileAtomic(file, generateFleetKey(), 0o600)
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`)
  }
}

/** Parses a key file's text; returns the bytes libp2p's pnet expects, or a reason. */
export function parseFleetKey(text: string): { ok: true; psk: Uint8Array } | { ok: false; reason: string } {
  const lines = text.split(/\r?\n/)
  if (lines[0] !== '/key/swarm/psk/1.0.0/') return { ok: false, reason: 'first line is not /key/swarm/psk/1.0.0/' }
  if (lines[1] !== '/base16/') return { ok: false, reason: 'second line is not /base16/' }
  const hex = (lines[2] ?? '').trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: 'third line is not 64 hex digits' }
  return { ok: true, psk: new TextEncoder().encode(`${HEADER}${hex.toLowerCase()}`) }
}

export function loadFleetKey(file: string): Uint8Array {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read fleet key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (create one with mmesh keygen --out FILE)`)
  }
  const parsed = parseFleetKey(text)
  if (!parsed.ok) throw new CliError(`fleet key ${file} is not a fleet key (${parsed.reason}): create one with mmesh keygen --out FILE`)
  return parsed.psk
}

/** The key given by --fleet-key, else DIR/fleet.key, created on first start (with a notice on stderr). */
export function resolveFleetKey(dir: string, flag: string | undefined, notice: (msg: string) => void): { psk: Uint8Array; file: string } {
  if (flag) return { psk: loadFleetKey(flag), file: flag }
  const file = files(dir).fleetKey
  if (!fs.existsSync(file)) {
    try {
      writeFileAtomic(file, generateFleetKey(), 0o600)
    } catch (err) {
      throw new CliError(`cannot create fleet key ${file}: ${(err as Error).message}`, EXIT.dataDirBusy)
    }
    notice(`mmesh: created a new fleet key in ${file}; every other agent of this fleet needs a copy of it (--fleet-key FILE)`)
  }
  return { psk: loadFleetKey(file), file }
}
