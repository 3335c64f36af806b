import { describe, expect, it } from 'vitest'
import { quoteWord, startArgs, systemdUnit, unitName } from './systemd-unit.ts'

describe('systemd unit', () => {
  const opts = { data: 'data', listen: [], peer: ['/ip4/10.0.0.5/tcp/4001/p2p/12D3KooWx'], mdns: false, map: ['\\\\fs01\\dept=/mnt/fs01 dept'], sourceRoot: ['/mnt/fs01 dept'], destRoot: [], capacity: '3', leaseTtl: '45', minFreeMb: '1024' }
  it('runs mmesh start with the flags given, absolute paths, restart on failure, as the data dir owner', () => {
    const args = startArgs(opts, (p) => `/srv/${p}`)
    expect(args).toEqual(['start', '--data', '/srv/data', '--peer', '/ip4/10.0.0.5/tcp/4001/p2p/12D3KooWx', '--no-mdns', '--capacity', '3', '--map', '\\\\fs01\\dept=/mnt/fs01 dept', '--source-root', '/srv//mnt/fs01 dept', '--lease-ttl', '45', '--min-free-mb', '1024'])
    const unit = systemdUnit({ user: false, node: '/usr/bin/node', script: '/opt/mmesh/bin/mmesh.js', dataDir: '/srv/data', runAs: { user: 'mig', group: 'mig' } }, ['start', '--data', '/srv/data', '--map', '\\\\fs01\\dept=/mnt/fs01 dept'], 45)
    expect(unit).toContain('ExecStart=/usr/bin/node /opt/mmesh/bin/mmesh.js start --data /srv/data --map "\\\\\\\\fs01\\\\dept=/mnt/fs01 dept"\n')
    for (const l of ['User=mig', 'Group=mig', 'Restart=on-failure', 'KillSignal=SIGTERM', 'TimeoutStopSec=45', 'RestartPreventExitStatus=2', 'WantedBy=multi-user.target']) expect(unit).toContain(`${l}\n`)
    const user = systemdUnit({ user: true, node: '/usr/bin/node', script: '/x/mmesh.js', dataDir: '/home/a/.mmesh', runAs: null }, ['start'], 30)
    expect(user).toContain('WantedBy=default.target')
    expect(user).not.toContain('User=')
  })
  it("quotes what systemd would expand, refuses control characters, names one unit per data dir", () => {
    expect(quoteWord('/plain/path')).toBe('/plain/path')
    expect(quoteWord('100%')).toBe('"100%%"')
    expect(quoteWord('$HOME')).toBe('"$$HOME"')
    expect(() => quoteWord('a\nb')).toThrow(/control character/)
    expect(unitName('/srv/a')).toMatch(/^mmesh-[0-9a-f]{8}\.service$/)
    expect(unitName('/srv/a')).not.toBe(unitName('/srv/b'))
  })
})
