/**
 * The ledger's key indexes, kept from Yjs map events without validating a record: claims and outcomes by
 * task (their keys start with the task id), commands by their raw target, batch-signed tasks by their raw
 * creator and batch. A record that does not match its key, or whose content is invalid, is still indexed and dropped
 * when read, so an index only ever narrows which keys a reader checks. Split out of ledger.ts, which reads,
 * checks and writes the records.
 */
import { batchKey, type MapName } from './ledger-validate.ts'

/** key → the one value it is indexed under, and value → its keys */
class ManyToOne {
  private readonly keysOf = new Map<string, Set<string>>()
  private readonly valueOf = new Map<string, string>()

  keys(value: string): Set<string> | undefined {
    return this.keysOf.get(value)
  }

  /** (Re)indexes `key` under `value`, or nowhere when `value` is not a string. */
  set(key: string, value: unknown): void {
    const prev = this.valueOf.get(key)
    if (prev === value) return
    if (prev !== undefined) {
      this.keysOf.get(prev)?.delete(key)
      this.valueOf.delete(key)
    }
    if (typeof value !== 'string') return
    let set = this.keysOf.get(value)
    if (!set) this.keysOf.set(value, (set = new Set()))
    set.add(key)
    this.valueOf.set(key, value)
  }
}

const field = (raw: unknown, name: string): unknown => (raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[name] : undefined)

export class LedgerIndex {
  private readonly claims = new ManyToOne()
  private readonly outcomes = new ManyToOne()
  private readonly commands = new ManyToOne()
  private readonly batches = new ManyToOne()

  claimsFor(taskId: string): Set<string> | undefined {
    return this.claims.keys(taskId)
  }

  outcomesFor(taskId: string): Set<string> | undefined {
    return this.outcomes.keys(taskId)
  }

  commandsFor(target: string): Set<string> | undefined {
    return this.commands.keys(target)
  }

  /**
   * One string per batch key, shared by the batch's 1,000 tasks in the index: a key built per task held
   * ~11 MB more for 100,000 imported tasks.
   */
  private readonly batchKeys = new Map<string, string>()

  private intern(key: string): string {
    const known = this.batchKeys.get(key)
    if (known !== undefined) return known
    this.batchKeys.set(key, key)
    return key
  }

  /** the tasks whose raw record names this batch */
  tasksOfBatch(batchKey: string): Set<string> | undefined {
    return this.batches.keys(batchKey)
  }

  /** After `key` of `map` changed to `raw` (undefined: deleted). */
  update(map: MapName, key: string, raw: unknown): void {
    if (map === 'claims' || map === 'outcomes') {
      const slash = key.indexOf('/')
      // no task id in the key: not indexed, and refused when read (the key cannot match the record)
      if (slash > 0) (map === 'claims' ? this.claims : this.outcomes).set(key, raw === undefined ? undefined : key.slice(0, slash))
    } else if (map === 'commands') {
      this.commands.set(key, field(raw, 'target'))
    } else if (map === 'tasks') {
      const batch = field(raw, 'batch')
      const by = field(raw, 'createdBy')
      this.batches.set(key, typeof batch === 'string' && typeof by === 'string' ? this.intern(batchKey(by, batch)) : undefined)
    }
  }
}
