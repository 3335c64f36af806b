/**
 * The DACL of a Windows security descriptor in self-relative form, as a CIFS mount with `cifsacl` shows it
 * in the `system.cifs_acl` extended attribute (MS-DTYP 2.4.6): a 20-byte header {revision u8, sbz1 u8,
 * control u16, owner u32, group u32, sacl u32, dacl u32} (offsets from the start), the ACL header
 * {revision u8, sbz1 u8, size u16, count u16, sbz2 u16}, then ACEs {type u8, flags u8, size u16, mask u32,
 * SID}. Pure, so it is tested on bytes the tests build; no CIFS mount needed.
 */

export const ACE_TYPE = { allow: 0x00, deny: 0x01 } as const
/** INHERITED_ACE: the entry came from a parent; only entries set on the item itself are its own. */
export const ACE_INHERITED = 0x10
export const ACE_INHERIT_ONLY = 0x08

export const ACCESS = {
  readData: 0x1,
  writeData: 0x2,
  fullFile: 0x1f01ff,
  genericAll: 0x10000000,
  genericWrite: 0x40000000,
  genericRead: 0x80000000,
} as const

export interface NtfsAce {
  /** 'allow' | 'deny' | 'other' (audit, object or callback ACEs: special entries, never carried) */
  type: 'allow' | 'deny' | 'other'
  typeCode: number
  flags: number
  mask: number
  /** S-1-5-21-… */
  sid: string
}

export interface NtfsDacl {
  /** null: the descriptor has no DACL (everyone has full access; nothing explicit to carry) */
  aces: NtfsAce[] | null
}

const SE_DACL_PRESENT = 0x0004

/** `S-R-A-S1-S2…` from a SID's bytes at `off`; answers the text and the SID's length. */
export function readSid(view: DataView, off: number): { sid: string; length: number } {
  if (off + 8 > view.byteLength) throw new Error(`SID at ${off} runs past the end`)
  const revision = view.getUint8(off)
  const count = view.getUint8(off + 1)
  const length = 8 + count * 4
  if (off + length > view.byteLength) throw new Error(`SID at ${off} runs past the end`)
  // the 48-bit identifier authority is big-endian
  let authority = 0
  for (let i = 0; i < 6; i++) authority = authority * 256 + view.getUint8(off + 2 + i)
  const subs: number[] = []
  for (let i = 0; i < count; i++) subs.push(view.getUint32(off + 8 + i * 4, true))
  return { sid: ['S', revision, authority, ...subs].join('-'), length }
}

/** Parses a self-relative security descriptor's DACL; throws with what is wrong. */
export function parseSecurityDescriptor(bytes: Uint8Array): NtfsDacl {
  if (bytes.length < 20) throw new Error(`not a security descriptor: ${bytes.length} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint8(0) !== 1) throw new Error(`not a security descriptor: revision ${view.getUint8(0)}`)
  const control = view.getUint16(2, true)
  const daclOff = view.getUint32(16, true)
  if (!(control & SE_DACL_PRESENT) || daclOff === 0) return { aces: null }
  if (daclOff + 8 > bytes.length) throw new Error(`DACL offset ${daclOff} is past the end (${bytes.length} bytes)`)
  const aclSize = view.getUint16(daclOff + 2, true)
  const count = view.getUint16(daclOff + 4, true)
  const end = daclOff + aclSize
  if (end > bytes.length) throw new Error(`DACL of ${aclSize} bytes runs past the end`)
  const aces: NtfsAce[] = []
  let off = daclOff + 8
  for (let i = 0; i < count; i++) {
    if (off + 8 > end) throw new Error(`ACE ${i} runs past the DACL`)
    const typeCode = view.getUint8(off)
    const flags = view.getUint8(off + 1)
    const size = view.getUint16(off + 2, true)
    if (size < 8 || off + size > end) throw new Error(`ACE ${i} has a bad size ${size}`)
    const type = typeCode === ACE_TYPE.allow ? 'allow' : typeCode === ACE_TYPE.deny ? 'deny' : 'other'
    const mask = view.getUint32(off + 4, true)
    // only the plain ACE types carry a SID right after the mask; others are reported, not read
    const sid = type === 'other' ? '' : readSid(new DataView(bytes.buffer, bytes.byteOffset, off + size), off + 8).sid
    aces.push({ type, typeCode, flags, mask, sid })
    off += size
  }
  return { aces }
}

/** Builds a self-relative descriptor with only a DACL (the inverse of parseSecurityDescriptor): for tests. */
export function buildSecurityDescriptor(aces: Array<{ type: 'allow' | 'deny'; flags?: number; mask: number; sid: string }>): Uint8Array {
  const sidBytes = aces.map((a) => encodeSid(a.sid))
  const aceBytes = aces.map((a, i) => {
    const sid = sidBytes[i]!
    const b = new Uint8Array(8 + sid.length)
    const v = new DataView(b.buffer)
    v.setUint8(0, ACE_TYPE[a.type])
    v.setUint8(1, a.flags ?? 0)
    v.setUint16(2, b.length, true)
    v.setUint32(4, a.mask >>> 0, true)
    b.set(sid, 8)
    return b
  })
  const aclSize = 8 + aceBytes.reduce((n, b) => n + b.length, 0)
  const out = new Uint8Array(20 + aclSize)
  const v = new DataView(out.buffer)
  v.setUint8(0, 1)
  v.setUint16(2, SE_DACL_PRESENT | 0x8000, true) // DACL present, self-relative
  v.setUint32(16, 20, true)
  v.setUint8(20, 2)
  v.setUint16(22, aclSize, true)
  v.setUint16(24, aces.length, true)
  let off = 28
  for (const b of aceBytes) {
    out.set(b, off)
    off += b.length
  }
  return out
}

function encodeSid(sid: string): Uint8Array {
  const parts = sid.split('-')
  if (parts[0] !== 'S' || parts.length < 3) throw new Error(`not a SID: ${sid}`)
  const subs = parts.slice(3).map(Number)
  const b = new Uint8Array(8 + subs.length * 4)
  const v = new DataView(b.buffer)
  v.setUint8(0, Number(parts[1]))
  v.setUint8(1, subs.length)
  let auth = Number(parts[2])
  for (let i = 5; i >= 0; i--) {
    v.setUint8(2 + i, auth % 256)
    auth = Math.floor(auth / 256)
  }
  subs.forEach((s, i) => v.setUint32(8 + i * 4, s, true))
  return b
}
