import type { ServerType } from '@hono/node-server';

/**
 * How long a server keeps a client's idle keep-alive connection open. Node closes one after 5 s by
 * default; a client that keeps a pool of them (a relay, a load balancer, an agent's keep-alive agent)
 * may pick one just as it closes and get ECONNRESET for a request the server never saw. A pool that
 * reuses its newest sockets first leaves the others idle for as long as its traffic stays low, then
 * takes them in a burst. Over a minute, as load balancers wait (an ALB waits 60 s), the close comes
 * long after any pool's burst.
 */
const IDLE_KEEP_ALIVE_MS = 65_000;

/**
 * Makes `server` keep idle keep-alive connections open for {@link IDLE_KEEP_ALIVE_MS}; answers it.
 * (An HTTP/2 server has no such timeout: its sessions stay open until a side closes them.)
 */
export function keepingIdleConnections<S extends ServerType>(server: S): S {
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
  return server;
}

/** Why a server cannot listen on `where` (host:port): `inUse` when the port is taken, else its own reason. */
export function listenFailure(error: unknown, where: string, inUse: string): string {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
    ? inUse
    : `cannot listen on ${where}: ${(error as Error).message}`;
}

/**
 * Settles once `server` listens on `where`; when it cannot, rejects with the error `fail` makes of
 * {@link listenFailure}'s message, the server's error as its cause.
 */
export async function listening(
  server: ServerType,
  where: string,
  inUse: string,
  fail: (message: string, cause: unknown) => Error,
): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    throw fail(listenFailure(error, where, inUse), error);
  }
}

/** Stops `server`, its open connections too; settles once it is closed. */
export function closing(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}
