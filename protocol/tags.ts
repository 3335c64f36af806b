/**
 * Task tags (Migration Manager's Tagging): free labels an admin filters and reports by. A task's tags are
 * given when it is added (`--tag`, a bulk JSON's `Tags`) and replaced later by a signed `task.tags`
 * command (the tags CSV import); the latest command wins over the spec. Matching is exact and
 * case-sensitive, as in Migration Manager.
 */
export const MAX_TAGS = 50
export const MAX_TAG_LENGTH = 100
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export type TagsCheck = { ok: true; value: string[] } | { ok: false; error: string }

/**
 * Tags as an admin gives them: an array of strings, or one string with `;` between tags (the tags CSV's
 * form). Each is trimmed; empty ones are dropped, repeats kept once, in the order given.
 */
export function checkTags(raw: unknown, field = 'tags'): TagsCheck {
  if (raw === undefined || raw === null) return { ok: true, value: [] }
  let parts: unknown[]
  if (typeof raw === 'string') parts = raw.split(';')
  else if (Array.isArray(raw)) parts = raw.flatMap((t) => (typeof t === 'string' ? t.split(';') : [t]))
  else return { ok: false, error: `${field}: expected a list of tags, or tags separated by ;` }
  const out: string[] = []
  for (const p of parts) {
    if (typeof p !== 'string') return { ok: false, error: `${field}: a tag must be text, not ${typeof p}` }
    const t = p.trim()
    if (t === '') continue
    if (t.length > MAX_TAG_LENGTH) return { ok: false, error: `${field}: tag ${JSON.stringify(t.slice(0, 20))}… is longer than ${MAX_TAG_LENGTH} characters; shorten it` }
    if (CONTROL.test(t)) return { ok: false, error: `${field}: tag ${JSON.stringify(t)} contains a control character; remove it` }
    if (!out.includes(t)) out.push(t)
  }
  if (out.length > MAX_TAGS) return { ok: false, error: `${field}: ${out.length} tags; at most ${MAX_TAGS}` }
  return { ok: true, value: out }
}

/** The tags CSV's Tags cell. */
export function tagsCell(tags: readonly string[]): string {
  return tags.join(';')
}
