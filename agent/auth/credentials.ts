/**
 * This agent's own app-only credentials for SharePoint: tenant id, client id and a certificate with its
 * private key (SharePoint REST refuses client-secret tokens). Kept in DATA_DIR/auth.json plus a copy of
 * the PEM, both mode 0600, never in the ledger. MMESH_TENANT_ID, MMESH_CLIENT_ID, MMESH_CERT_FILE and
 * MMESH_AUTHORITY override what is stored.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { readCredentialOverrides, type CredentialOverrides } from '../config/env.ts'

export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com'
const AUTH_FILE = 'auth.json'
const CERT_FILE = 'auth-cert.pem'

export class CredentialsError extends Error {
  override name = 'CredentialsError'
}

export interface CertificateInfo {
  certPem: string
  /** PKCS#8 PEM */
  privateKeyPem: string
  thumbprintSha1: string
  thumbprintSha256: string
  subject: string
  notBefore: Date
  notAfter: Date
}

/** What auth.json holds: no secret material (the key stays in the PEM file beside it). */
export interface StoredCredentials {
  version: 1
  tenantId: string
  clientId: string
  authority: string
  /** file name inside the data dir, or an absolute path */
  certFile: string
  thumbprintSha1: string
  thumbprintSha256: string
  notAfter: string
}

export interface Credentials extends CertificateInfo {
  tenantId: string
  clientId: string
  authority: string
  certFile: string
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i

export function checkTenantId(t: string): string {
  if (!GUID.test(t) && !DOMAIN.test(t)) throw new CredentialsError(`tenant id "${t}" is neither a GUID nor a domain like contoso.onmicrosoft.com: copy the Directory (tenant) ID from the app registration`)
  return t
}

export function checkClientId(c: string): string {
  if (!GUID.test(c)) throw new CredentialsError(`client id "${c}" is not a GUID: copy the Application (client) ID from the app registration`)
  return c
}

export function checkAuthority(a: string): string {
  let u: URL
  try {
    u = new URL(a)
  } catch {
    throw new CredentialsError(`authority "${a}" is not a URL: use https://login.microsoftonline.com or your cloud's login host`)
  }
  if (u.protocol !== 'https:') throw new CredentialsError(`authority "${a}" must use https (MSAL refuses anything else)`)
  return u.origin
}

const block = (pem: string, label: RegExp): string[] => {
  const re = new RegExp(`-----BEGIN (${label.source})-----[\\s\\S]+?-----END \\1-----`, 'g')
  return [...pem.matchAll(re)].map((m) => m[0])
}

/**
 * Reads a PEM holding a certificate and its private key, and checks they belong together and that the
 * certificate is valid now. Every problem is one plain sentence saying what to do.
 */
export function inspectCertificatePem(pem: string, file: string, now = Date.now()): CertificateInfo {
  const certs = block(pem, /CERTIFICATE/)
  if (certs.length === 0) throw new CredentialsError(`${file} holds no certificate: put the certificate (BEGIN CERTIFICATE) and its private key in one PEM file`)
  if (/BEGIN ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new CredentialsError(`${file} has a passphrase-protected private key: export it without a passphrase (openssl pkey -in KEY -out plain.pem) and keep the file private`)
  }
  const keys = block(pem, /PRIVATE KEY|RSA PRIVATE KEY|EC PRIVATE KEY/)
  if (keys.length === 0) throw new CredentialsError(`${file} holds no private key: put the certificate and its private key (BEGIN PRIVATE KEY) in one PEM file`)
  let x509: X509Certificate
  let key: KeyObject
  try {
    x509 = new X509Certificate(certs[0]!)
  } catch (e) {
    throw new CredentialsError(`${file}: the certificate cannot be read (${(e as Error).message})`)
  }
  try {
    key = createPrivateKey(keys[0]!)
  } catch (e) {
    throw new CredentialsError(`${file}: the private key cannot be read (${(e as Error).message})`)
  }
  if (!x509.checkPrivateKey(key)) throw new CredentialsError(`${file}: the private key does not belong to the certificate: use the key the certificate was made with`)
  const notBefore = new Date(x509.validFrom)
  const notAfter = new Date(x509.validTo)
  if (notAfter.getTime() < now) {
    throw new CredentialsError(`${file}: the certificate expired on ${notAfter.toISOString()}: make a new one, upload it to the app registration and run mmesh auth set again`)
  }
  if (notBefore.getTime() > now + 5 * 60_000) throw new CredentialsError(`${file}: the certificate is not valid before ${notBefore.toISOString()}: check the machine clock or the certificate`)
  return {
    certPem: certs[0]!,
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprintSha1: x509.fingerprint.replace(/:/g, ''),
    thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
    subject: x509.subject.replace(/\n/g, ', '),
    notBefore,
    notAfter,
  }
}

async function writePrivate(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, data, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, file)
}

export interface SetCredentialsInput {
  tenantId: string
  clientId: string
  certFile: string
  authority?: string
}

/** `mmesh auth set`: validates everything first, then writes the PEM copy and auth.json (0600). */
export async function saveCredentials(dataDir: string, input: SetCredentialsInput): Promise<StoredCredentials> {
  const tenantId = checkTenantId(input.tenantId)
  const clientId = checkClientId(input.clientId)
  const authority = checkAuthority(input.authority ?? DEFAULT_AUTHORITY)
  let pem: string
  try {
    pem = await readFile(input.certFile, 'utf8')
  } catch (e) {
    throw new CredentialsError(`cannot read certificate file ${input.certFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  const info = inspectCertificatePem(pem, input.certFile)
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
  } catch (e) {
    throw new CredentialsError(`cannot use data dir ${dataDir}: ${(e as Error).message}`)
  }
  await writePrivate(path.join(dataDir, CERT_FILE), info.certPem + info.privateKeyPem)
  const stored: StoredCredentials = {
    version: 1, tenantId, clientId, authority, certFile: CERT_FILE,
    thumbprintSha1: info.thumbprintSha1, thumbprintSha256: info.thumbprintSha256, notAfter: info.notAfter.toISOString(),
  }
  await writePrivate(path.join(dataDir, AUTH_FILE), JSON.stringify(stored, null, 2) + '\n')
  return stored
}

async function readStored(dataDir: string): Promise<StoredCredentials | null> {
  let text: string
  try {
    text = await readFile(path.join(dataDir, AUTH_FILE), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new CredentialsError(`cannot read ${path.join(dataDir, AUTH_FILE)}: ${(e as Error).message}`)
  }
  try {
    const j = JSON.parse(text) as StoredCredentials
    if (typeof j.tenantId !== 'string' || typeof j.clientId !== 'string' || typeof j.certFile !== 'string') throw new Error('fields missing')
    return j
  } catch (e) {
    throw new CredentialsError(`${path.join(dataDir, AUTH_FILE)} is damaged (${(e as Error).message}): run mmesh auth set again`)
  }
}

/**
 * The credentials this agent uses: auth.json in the data dir, overridden field by field by the
 * environment. Null when neither says anything; an error naming the missing piece when half-set.
 */
export async function loadCredentials(dataDir: string | undefined, env: CredentialOverrides = readCredentialOverrides()): Promise<Credentials | null> {
  const stored = dataDir ? await readStored(dataDir) : null
  const tenantId = env.tenantId || stored?.tenantId
  const clientId = env.clientId || stored?.clientId
  const certFile = env.certFile || (stored && dataDir ? path.resolve(dataDir, stored.certFile) : undefined)
  const authority = env.authority || stored?.authority || DEFAULT_AUTHORITY
  if (!tenantId && !clientId && !certFile) return null
  const missing = [!tenantId && 'tenant id (MMESH_TENANT_ID)', !clientId && 'client id (MMESH_CLIENT_ID)', !certFile && 'certificate (MMESH_CERT_FILE)'].filter(Boolean)
  if (missing.length) throw new CredentialsError(`credentials incomplete, missing ${missing.join(', ')}: run mmesh auth set --data DIR --tenant … --client-id … --cert FILE`)
  let pem: string
  try {
    pem = await readFile(certFile!, 'utf8')
  } catch (e) {
    throw new CredentialsError(`cannot read certificate file ${certFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  const info = inspectCertificatePem(pem, certFile!)
  return { ...info, tenantId: checkTenantId(tenantId!), clientId: checkClientId(clientId!), authority: checkAuthority(authority), certFile: certFile! }
}
