import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { NetProber } from '../../lambda/adapters/net-prober';
import type { ProbeSettings } from '../../lambda/domain/config';

const FAST: ProbeSettings = { attempts: 3, timeoutMs: 1000, intervalMs: 10 };

const prober = new NetProber();
const servers: (Server | HttpServer)[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A loopback port nobody listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server answering `status` to every request, counting the requests it got. */
async function httpServer(status: number | (() => number)): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createHttpServer((_req, res) => {
    hits += 1;
    res.statusCode = typeof status === 'number' ? status : status();
    res.end('body');
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/health`, hits: () => hits };
}

describe('NetProber over TCP', () => {
  it('passes against a listening port, on the first try', async () => {
    let connections = 0;
    const port = await listen(createServer(() => connections++));

    const result = await prober.probe({ type: 'tcp', host: '127.0.0.1', port }, FAST);

    expect(result).toEqual({ outcome: 'up', detail: `tcp 127.0.0.1:${port} answered` });
    await new Promise((r) => setTimeout(r, 20));
    expect(connections).toBe(1);
  });

  it('fails against a closed port after every attempt, naming the error', async () => {
    const port = await closedPort();

    const result = await prober.probe({ type: 'tcp', host: '127.0.0.1', port }, FAST);

    expect(result.outcome).toBe('down');
    expect(result.detail).toBe(`tcp 127.0.0.1:${port} failed 3x: ECONNREFUSED`);
  });

  it('waits intervalMs between attempts and not after the last one', async () => {
    const port = await closedPort();
    const started = Date.now();

    await prober.probe(
      { type: 'tcp', host: '127.0.0.1', port },
      { attempts: 3, timeoutMs: 1000, intervalMs: 300 },
    );

    // Two waits of 300 ms; a third, after the last attempt, would make it 900 ms.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(850);
  });

  it('tries once when attempts is 1', async () => {
    const port = await closedPort();

    const result = await prober.probe({ type: 'tcp', host: '127.0.0.1', port }, { ...FAST, attempts: 1 });

    expect(result.detail).toBe(`tcp 127.0.0.1:${port} failed 1x: ECONNREFUSED`);
  });
});

describe('NetProber over HTTP', () => {
  it.each([200, 204, 302, 404, 499])('passes on an answer of %i (any status below 500)', async (status) => {
    const server = await httpServer(status);

    const result = await prober.probe({ type: 'http', url: server.url }, FAST);

    expect(result).toEqual({ outcome: 'up', detail: `http ${server.url} answered` });
    expect(server.hits()).toBe(1);
  });

  it.each([500, 503])('fails on %i after every attempt, naming the status', async (status) => {
    const server = await httpServer(status);

    const result = await prober.probe({ type: 'http', url: server.url }, FAST);

    expect(result).toEqual({ outcome: 'down', detail: `http ${server.url} failed 3x: HTTP ${status}` });
    expect(server.hits()).toBe(3);
  });

  it.each([1, 2, 5])(
    'asks the server as many times as attempts (%i) when every answer is an error',
    async (attempts) => {
      const server = await httpServer(503);

      await prober.probe({ type: 'http', url: server.url }, { ...FAST, attempts });

      expect(server.hits()).toBe(attempts);
    },
  );

  it('stops at the first attempt that passes', async () => {
    const answers = [503, 500, 200, 200];
    const server = await httpServer(() => answers.shift() ?? 200);

    const result = await prober.probe({ type: 'http', url: server.url }, { ...FAST, attempts: 4 });

    expect(result.outcome).toBe('up');
    expect(server.hits()).toBe(3);
  });

  it('fails against a closed port, naming the error', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/health`;

    const result = await prober.probe({ type: 'http', url }, FAST);

    expect(result).toEqual({ outcome: 'down', detail: `http ${url} failed 3x: ECONNREFUSED` });
  });

  it('fails after timeoutMs against a server that accepts and never answers', async () => {
    const port = await listen(createServer(() => {}));
    const url = `http://127.0.0.1:${port}/health`;
    const started = Date.now();

    const result = await prober.probe({ type: 'http', url }, { attempts: 2, timeoutMs: 100, intervalMs: 10 });

    expect(result).toEqual({ outcome: 'down', detail: `http ${url} failed 2x: no answer in 100 ms` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});
