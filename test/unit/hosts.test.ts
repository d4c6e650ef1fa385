import { createWatcherClient } from '../../cli/client';
import { LocalWatcherError, startLocalWatcher } from '../../cli/local-watcher';
import { parseConfig } from '../../lambda/domain/config';
import { hostOfHeader, isLoopbackHost } from '../../lambda/http/hosts';
import { TEST_CONFIG } from '../support/watcher';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LocalHost',
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.254',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('takes %s for loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '127.999.999.999',
    '127.0.0.256',
    '999.0.0.1',
    '127.0.0',
    '128.0.0.1',
    '10.0.0.1',
    '0.0.0.0',
    '::',
    '::2',
    '[::1',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '',
  ])('does not take %j for loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('hostOfHeader', () => {
  it.each([
    ['127.0.0.1:8787', '127.0.0.1'],
    ['LOCALHOST', 'localhost'],
    ['[::1]:8787', '[::1]'],
    ['watcher.lan', 'watcher.lan'],
  ])('reads %s as %s', (header, host) => {
    expect(hostOfHeader(header)).toBe(host);
  });

  it.each([
    '127.999.999.999',
    '127.0.0.256:8787',
    '999.0.0.1',
    'user@127.0.0.1',
    '127.0.0.1/x',
    '127.0.0.1:port',
    'a b',
    '',
  ])('refuses %j', (header) => {
    expect(hostOfHeader(header)).toBeUndefined();
  });
});

describe('the one loopback rule, where it is used', () => {
  it('the CLI does not sign an https:// endpoint on any loopback address (127.0.0.2, [::1])', async () => {
    for (const endpoint of ['https://127.0.0.2:8443', 'https://[::1]:8443']) {
      const seen: Headers[] = [];
      const client = createWatcherClient({
        endpoint,
        env: {},
        fetch: async (_url, init) => {
          seen.push(new Headers(init?.headers));
          return new Response('{"agents":[]}', {
            status: 200,
            headers: { 'content-type': 'application/json' },
          });
        },
      });
      await client.request('GET', '/v1/agents');
      expect(seen.map((h) => h.get('authorization'))).toEqual([null]);
    }
  });

  it('hbw local takes 127.999.999.999 for no loopback address: it wants HBW_ADMIN_TOKEN', async () => {
    const started = startLocalWatcher({
      config: parseConfig(TEST_CONFIG),
      host: '127.999.999.999',
      port: 0,
      scanning: false,
      print: () => {},
    });
    await expect(started).rejects.toThrow(LocalWatcherError);
    await expect(started).rejects.toThrow('set HBW_ADMIN_TOKEN');
  });
});
