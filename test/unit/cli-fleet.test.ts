import { UsageError } from '../../cli/command';
import { agentChange, everyAgent, maintenanceUntil, parseProbe } from '../../cli/commands/fleet';
import type { AgentView } from '../../lambda/api/contract';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');

describe('parseProbe (hbw agents add --probe)', () => {
  it.each([
    ['tcp:db.internal:5432', { type: 'tcp', host: 'db.internal', port: 5432 }],
    ['tcp:10.0.0.7:22', { type: 'tcp', host: '10.0.0.7', port: 22 }],
    ['tcp:[::1]:8080', { type: 'tcp', host: '::1', port: 8080 }],
    ['tcp:fe80::1:443', { type: 'tcp', host: 'fe80::1', port: 443 }],
    ['http://db.internal:8080/health', { type: 'http', url: 'http://db.internal:8080/health' }],
    ['https://db.example.com/', { type: 'http', url: 'https://db.example.com/' }],
    ['HTTPS://DB.EXAMPLE.COM/', { type: 'http', url: 'HTTPS://DB.EXAMPLE.COM/' }],
    ['ec2:i-0abc1234def567890', { type: 'ec2', instanceId: 'i-0abc1234def567890' }],
    ['ssm:i-0abc1234', { type: 'ssm', instanceId: 'i-0abc1234' }],
    ['ssm:mi-0abc1234def567890', { type: 'ssm', instanceId: 'mi-0abc1234def567890' }],
  ])('reads %s', (text, probe) => {
    expect(parseProbe(text)).toEqual(probe);
  });

  it.each([
    ['a host and port without tcp:', 'db.internal:5432'],
    ['tcp: without a port', 'tcp:db.internal'],
    ['an empty port', 'tcp:db.internal:'],
    ['a port of six digits', 'tcp:db.internal:123456'],
    ['a named port', 'tcp:db.internal:ssh'],
    ['an ftp URL', 'ftp://db.internal/'],
    ['an empty text', ''],
    ['ec2: without an id', 'ec2:'],
  ])('refuses %s as bad usage, quoting it', (_case, text) => {
    expect(() => parseProbe(text)).toThrow(UsageError);
    expect(() => parseProbe(text)).toThrow(`not "${text}"`);
  });
});

describe('maintenanceUntil (hbw agents maintenance)', () => {
  it('passes --until through as typed', () => {
    expect(maintenanceUntil('2026-11-23T18:00:00Z', undefined, NOW)).toBe('2026-11-23T18:00:00Z');
  });

  it.each([
    ['30m', '2026-11-23T12:30:00.000Z'],
    ['2h', '2026-11-23T14:00:00.000Z'],
    ['1d', '2026-11-24T12:00:00.000Z'],
    ['90m', '2026-11-23T13:30:00.000Z'],
    ['90s', '2026-11-23T12:01:30.000Z'],
    ['1h30m', '2026-11-23T13:30:00.000Z'],
  ])('turns --for %s into an RFC 3339 time counted from now', (duration, until) => {
    expect(maintenanceUntil(undefined, duration, NOW)).toBe(until);
  });

  it('refuses --until and --for together', () => {
    expect(() => maintenanceUntil('2026-11-23T18:00:00Z', '2h', NOW)).toThrow(
      new UsageError('give --until or --for, not both'),
    );
  });

  it('refuses neither --until nor --for, pointing at --end', () => {
    expect(() => maintenanceUntil(undefined, undefined, NOW)).toThrow(/--end/);
  });

  it.each(['0m', '2 h', '1w', 'h', '-1h', '1.5h', '30m2h'])('refuses --for %s', (duration) => {
    expect(() => maintenanceUntil(undefined, duration, NOW)).toThrow(UsageError);
  });
});

describe('everyAgent (hbw agents list)', () => {
  it('follows every cursor, a short or empty page included, keeps the filters, and sorts across pages', async () => {
    const pages: Record<string, { agents: Pick<AgentView, 'agentId'>[]; cursor?: string }> = {
      '': { agents: [{ agentId: 'web-09' }, { agentId: 'web-02' }], cursor: 'c1' },
      c1: { agents: [], cursor: 'c2' },
      c2: { agents: [{ agentId: 'db-01' }] },
    };
    const asked: string[] = [];
    const client = {
      request: async <T>(method: string, path: string): Promise<T> => {
        asked.push(`${method} ${path}`);
        const cursor = new URL(path, 'http://watcher').searchParams.get('cursor') ?? '';
        return pages[cursor] as T;
      },
    };

    const agents = await everyAgent(client, new URLSearchParams({ group: 'production' }));

    expect(agents.map((a) => a.agentId)).toEqual(['db-01', 'web-02', 'web-09']);
    expect(asked).toEqual([
      'GET /v1/agents?group=production&limit=1000',
      'GET /v1/agents?group=production&limit=1000&cursor=c1',
      'GET /v1/agents?group=production&limit=1000&cursor=c2',
    ]);
  });
});

describe('agentChange (hbw agents set)', () => {
  it('sets the probe network with --probe-network and clears it with --no-probe-network', () => {
    expect(agentChange({ 'probe-network': 'prod-vpc' })).toEqual({ probeNetwork: 'prod-vpc' });
    expect(agentChange({ 'no-probe-network': true })).toEqual({ probeNetwork: null });
  });

  it('refuses --probe-network and --no-probe-network together', () => {
    expect(() => agentChange({ 'probe-network': 'prod-vpc', 'no-probe-network': true })).toThrow(
      'give --probe-network or --no-probe-network, not both',
    );
  });
});
