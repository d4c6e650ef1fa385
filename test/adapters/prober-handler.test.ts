import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { handler } from '../../lambda/handlers/prober';

const SETTINGS = { attempts: 1, timeoutMs: 1000, intervalMs: 0 };

describe('the prober function', () => {
  let open: Server;
  let openPort: number;
  let closedPort: number;
  beforeAll(async () => {
    open = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
    openPort = (open.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => open.close(resolve));
  });

  it('answers a result per target, in the order asked', async () => {
    const answer = await handler({
      targets: [
        { probe: { type: 'tcp', host: '127.0.0.1', port: closedPort }, settings: SETTINGS },
        { probe: { type: 'tcp', host: '127.0.0.1', port: openPort }, settings: SETTINGS },
      ],
    });

    expect(answer).toEqual({
      results: [
        { outcome: 'down', detail: `tcp 127.0.0.1:${closedPort} failed 1x: ECONNREFUSED` },
        { outcome: 'up', detail: `tcp 127.0.0.1:${openPort} answered` },
      ],
    });
  });

  it.each([
    ['no targets', { targets: [] }, 'targets: must hold at least one target'],
    [
      'a target of no known type',
      { targets: [{ probe: { type: 'icmp', host: 'db-07' }, settings: SETTINGS }] },
      'targets[0].probe.type',
    ],
    [
      'a target without its settings',
      { targets: [{ probe: { type: 'tcp', host: 'db-07', port: 22 } }] },
      'targets[0].settings',
    ],
    ['an unknown field', { targets: [], extra: 1 }, 'extra: unknown field'],
  ])('fails the invocation for %s, naming the field', async (_case, event, named) => {
    await expect(handler(event)).rejects.toThrow(named);
  });
});
