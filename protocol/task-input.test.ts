import { describe, expect, it } from 'vitest'
import { validateTaskInput, taskFlagsToSettings, formatFieldErrors, type TaskInput } from './task-input.ts'

function ok(input: TaskInput) {
  const r = validateTaskInput(input)
  if (!r.ok) throw new Error(formatFieldErrors(r.errors))
  return r.spec
}
function errs(input: TaskInput) {
  const r = validateTaskInput(input)
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.spec)}`)
  return r.errors
}
const SITE = 'https://contoso.sharepoint.com/sites/finance'

describe('validateTaskInput: source', () => {
  it.each([
    ['\\\\fs01\\share', '\\\\fs01\\share', 'share'],
    ['\\\\fs01\\share\\dept\\', '\\\\fs01\\share\\dept', 'dept'],
    ['//fs01/share/dept', '\\\\fs01\\share\\dept', 'dept'],
    ['/mnt/fs01/dept/', '/mnt/fs01/dept', 'dept'],
    ['c:\\Data\\HR', 'C:\\Data\\HR', 'HR'],
    ['D:/x', 'D:\\x', 'x'],
  ])('accepts %s', (source, norm, name) => {
    const s = ok({ source, dest: SITE })
    expect(s.source).toBe(norm)
    expect(s.name).toBe(name)
  })
  it.each([
    ['', /source: missing/],
    ['\\\\fs01', /names no share/],
    ['\\\\\\share', /names no share/],
    ['\\\\fs01\\sh?re', /contains "\?"/],
    ['\\\\fs<1\\share', /server name/],
    ['C:data', /relative to the current folder of drive C:/],
    ['data/x', /not a UNC path or an absolute path/],
    ['/srv/../etc', /"\." or "\.\."/],
    ['https://x/y', /is a URL/],
    ['/srv/a\u0001b', /control character/],
  ])('refuses %j', (source, re) => {
    const e = errs({ source, dest: SITE })
    expect(e.source).toMatch(re)
    expect(e.source!.startsWith('source:')).toBe(true)
  })
})

describe('validateTaskInput: destination', () => {
  it.each([
    ['https://contoso.sharepoint.com/', 'https://contoso.sharepoint.com'],
    ['https://Contoso.SharePoint.com/sites/Fin/', 'https://contoso.sharepoint.com/sites/Fin'],
    ['https://contoso.sharepoint.com/teams/eng/sub', 'https://contoso.sharepoint.com/teams/eng/sub'],
    ['https://contoso.sharepoint.us/sites/gov', 'https://contoso.sharepoint.us/sites/gov'],
    ['https://127.0.0.1:8443/sites/emu', 'https://127.0.0.1:8443/sites/emu'],
    ['https://contoso-my.sharepoint.com/personal/u_contoso_com', 'https://contoso-my.sharepoint.com/personal/u_contoso_com'],
    ['https://contoso.sharepoint.com/sites/My Site', 'https://contoso.sharepoint.com/sites/My%20Site'],
  ])('accepts %s', (dest, url) => {
    const s = ok({ source: '\\\\fs\\s', dest })
    expect(s.destination).toEqual({ url, library: 'Documents', folder: null })
  })
  it('file:// defaults library to null and keeps given library and folder', () => {
    expect(ok({ source: '/a', dest: 'file:///srv/out/' }).destination).toEqual({ url: 'file:///srv/out', library: null, folder: null })
    expect(ok({ source: '/a', dest: 'file:///srv/out', library: 'Lib', folder: '\\x\\y\\' }).destination).toEqual({
      url: 'file:///srv/out',
      library: 'Lib',
      folder: 'x/y',
    })
  })
  it.each([
    ['file://server/share', /names a host/],
    ['file:///srv/../x', /"\." or "\.\."/],
    ['http://contoso.sharepoint.com', /uses http/],
    ['https://u:p@contoso.sharepoint.com', /user name and password/],
    ['https://contoso.sharepoint.com/sites/x/?', /query or fragment/],
    ['https://contoso-my.sharepoint.com/personal/u/_layouts/15/onedrive.aspx', /_layouts/],
    ['https://contoso-my.sharepoint.com/personal/u/Documents', /not a OneDrive URL/],
    ['u name@contoso.com', /not a valid e-mail address/],
    ['not a url', /is not a URL/],
  ])('refuses %s', (dest, re) => {
    const e = errs({ source: '\\\\fs\\s', dest })
    expect(e.dest).toMatch(re)
  })
  it("takes a user's e-mail as a OneDrive destination, library Documents", () => {
    const d = ok({ source: '\\\\fs\\s', dest: ' JDoe@Contoso.com ' }).destination
    expect(d).toEqual({ url: 'jdoe@contoso.com', library: 'Documents', folder: null })
    expect(errs({ source: '\\\\fs\\s', dest: 'jdoe@contoso.com', library: 'My Files' }).library).toMatch(/library is Documents/)
  })
  it("requires a OneDrive's library to be Documents", () => {
    const e = errs({ source: '\\\\fs\\s', dest: 'https://c-my.sharepoint.com/personal/u', library: 'My Files' })
    expect(e.library).toMatch(/library is Documents/)
    expect(ok({ source: '\\\\fs\\s', dest: 'https://c-my.sharepoint.com/personal/u', library: 'documents' }).destination.library).toBe('documents')
  })
})

describe('validateTaskInput: library, folder, name, group, settings', () => {
  it('checks lengths and characters, and reports every field at once', () => {
    const e = errs({
      source: 'rel',
      dest: SITE,
      library: 'x'.repeat(256),
      folder: 'a/../b',
      name: 'n'.repeat(256),
      group: 'g\u0007',
      settings: { ScanOnly: 'perhaps' },
    })
    expect(Object.keys(e).sort()).toEqual(['folder', 'group', 'library', 'name', 'settings', 'source'])
    expect(e.library).toMatch(/longer than 255/)
    expect(e.name).toMatch(/longer than 255/)
    expect(e.group).toMatch(/control character/)
    expect(e.settings).toMatch(/ScanOnly: "perhaps" is not true or false/)
    for (const m of Object.values(e)) expect(m).not.toContain('\n')
    expect(formatFieldErrors(e).split('; ')[0]).toMatch(/^source:/)
  })
  it('refuses folders with drive letters, invalid characters or padded names', () => {
    expect(errs({ source: '/a', dest: SITE, folder: 'C:\\x' }).folder).toMatch(/not a relative path/)
    expect(errs({ source: '/a', dest: SITE, folder: 'a/b:c' }).folder).toMatch(/contains ":"/)
    expect(errs({ source: '/a', dest: SITE, folder: 'a/ b' }).folder).toMatch(/starts or ends with a space/)
    expect(ok({ source: '/a', dest: SITE, folder: '/Team//2024/' }).destination.folder).toBe('Team/2024')
  })
  it('defaults name and group, trims given ones', () => {
    const s = ok({ source: '\\\\fs\\share\\HR', dest: SITE, name: '  Payroll ', group: ' eu ' })
    expect([s.name, s.group]).toEqual(['Payroll', 'eu'])
    expect(ok({ source: '\\\\fs\\share\\HR', dest: SITE }).group).toBe('Default')
  })
  it('parses settings by Migration Manager names and aliases; retired keys warn, unknown keys fail', () => {
    const r = validateTaskInput({
      source: '/a',
      dest: SITE,
      settings: { 'skip-ext': 'TXT:mp3', MigrateItemsModifiedAfter: '2024-01-31T08:00:00+02:00', MigrateOneNoteNotebook: true },
    })
    expect(r).toEqual({
      ok: true,
      spec: expect.objectContaining({ settings: { SkipFilesWithExtensions: ['txt', 'mp3'], MigrateItemsModifiedAfter: '2024-01-31T06:00:00.000Z' } }),
      warnings: ['settings.MigrateOneNoteNotebook is a setting Migration Manager no longer uses; ignored'],
    })
    expect(errs({ source: '/a', dest: SITE, settings: { Bogus: 1 } }).settings).toMatch(/unknown setting "Bogus"/)
  })

  it('UserMappingFile in a task points to the fleet-wide import instead of calling it unused', () => {
    const r = validateTaskInput({ source: '/a', dest: SITE, settings: { UserMappingFile: 'C:\\maps\\users.csv' } })
    expect(r.ok && r.warnings).toEqual(['settings.UserMappingFile is not read from a task; import the file once for the whole fleet with `mmesh usermap import FILE`; ignored'])
  })
})

describe('taskFlagsToSettings', () => {
  it('maps only the flags given', () => {
    // commander gives --no-x options the value true when they are left out
    expect(taskFlagsToSettings({ hidden: true, invalidChars: true })).toEqual({})
    const flags = { scanOnly: true, hidden: false, createdAfter: '2024-01-01', modifiedAfter: '2024-02-01T00:00:00Z', skipExt: 'txt:mp3', invalidChars: false }
    const settings = taskFlagsToSettings(flags)
    expect(settings).toEqual({
      ScanOnly: true,
      MigrateHiddenItems: false,
      MigrateItemsCreatedAfter: '2024-01-01',
      MigrateItemsModifiedAfter: '2024-02-01T00:00:00Z',
      SkipFilesWithExtensions: 'txt:mp3',
      MigrateFilesAndFoldersWithInvalidChars: false,
    })
    expect(ok({ source: '/a', dest: SITE, settings }).settings).toEqual({
      ScanOnly: true,
      MigrateHiddenItems: false,
      MigrateItemsCreatedAfter: '2024-01-01T00:00:00.000Z',
      MigrateItemsModifiedAfter: '2024-02-01T00:00:00.000Z',
      SkipFilesWithExtensions: ['txt', 'mp3'],
      MigrateFilesAndFoldersWithInvalidChars: false,
    })
    expect(taskFlagsToSettings({ preservePermissions: true, filePermissions: true })).toEqual({ PreserveUserPermissionsForFileShare: true, FilePermissions: true })
    expect(ok({ source: '/a', dest: SITE, settings: { 'preserve-permissions': 'true', FilePermissions: false } }).settings).toEqual({ PreserveUserPermissionsForFileShare: true, FilePermissions: false })
    expect(errs({ source: '/a', dest: SITE, settings: { PreserveUserPermissionsForFileShare: 'maybe' } }).settings).toMatch(/PreserveUserPermissionsForFileShare: "maybe" is not true or false/)
    expect(errs({ source: '/a', dest: SITE, settings: taskFlagsToSettings({ createdAfter: 'yesterday' }) }).settings).toMatch(
      /MigrateItemsCreatedAfter: "yesterday" is not a date/,
    )
  })
})
