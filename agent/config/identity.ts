/** The agent's persistent Ed25519 identity; its libp2p peer id is the agent id. */
import fs from 'node:fs'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { CliError, EXIT } from '../../api/errors.ts'
import { files } from '../../api/data-dir.ts'
import { writeFileAtomic } from './data-dir.ts'

export async function loadOrCreateIdentity(dir: string): Promise<PrivateKey> {
  const file = files(dir).identity
  if (fs.existsSync(file)) {
    try {
      const key = privateKeyFromProtobuf(fs.readFileSync(file))
      if (key.type !== 'Ed25519') throw new Error(`key type ${key.type}`)
      return key
    } catch (err) {
      throw new CliError(
        `identity key ${file} is unreadable (${(err as Error).message}): restore it from a backup, or remove it to start as a new agent`,
        EXIT.dataDirBusy,
      )
    }
  }
  const key = await generateKeyPair('Ed25519')
  writeFileAtomic(file, privateKeyToProtobuf(key), 0o600)
  return key
}
