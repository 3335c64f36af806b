import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, effectiveSettings, parseSettingValue, resolveSettingKey } from './settings.ts'
import { foldSettings } from './intent.ts'
import { parseSettingsRecord } from './task-input.ts'
import type { CommandRecord } from './records.ts'

describe('TenantRequestsPerMinute', () => {
  it('is whole requests per minute from 0 (no budget, the default) up', () => {
    expect(DEFAULT_SETTINGS.TenantRequestsPerMinute).toBe(0)
    expect(resolveSettingKey('tenant-requests-per-minute')).toBe('TenantRequestsPerMinute')
    expect(parseSettingValue('TenantRequestsPerMinute', '1200')).toEqual({ ok: true, value: 1200 })
    expect(parseSettingValue('TenantRequestsPerMinute', 0)).toEqual({ ok: true, value: 0 })
    for (const bad of ['-1', '2.5', 'lots', '', '1000001']) {
      const r = parseSettingValue('TenantRequestsPerMinute', bad)
      expect(r.ok, bad).toBe(false)
      if (!r.ok) expect(r.error).toMatch(/^TenantRequestsPerMinute: expected whole requests per minute from 0 \(no budget\)/)
    }
  })

  it('is the fleet\'s, not a task\'s: a task may not set it, and one that carries it anyway changes nothing', () => {
    const r = parseSettingsRecord({ TenantRequestsPerMinute: 10 })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain('TenantRequestsPerMinute is a setting of the whole fleet, not of a task: set it with mmesh settings set TenantRequestsPerMinute VALUE')
    const globals = { ...DEFAULT_SETTINGS, TenantRequestsPerMinute: 600 }
    expect(effectiveSettings(globals, { TenantRequestsPerMinute: 5 }).TenantRequestsPerMinute).toBe(600)
  })

  it('folds like every global setting: the latest valid value wins', () => {
    const cmd = (hlc: string, value: unknown): CommandRecord => ({ kind: 'settings.set', hlc, by: 'a', target: 'TenantRequestsPerMinute', value }) as CommandRecord
    expect(foldSettings([cmd('1', 600), cmd('2', -5)]).TenantRequestsPerMinute).toBe(600)
    expect(foldSettings([cmd('1', 600), cmd('3', 0)]).TenantRequestsPerMinute).toBe(0)
  })
})
