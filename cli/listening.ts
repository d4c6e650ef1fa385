import type { ServerType } from '@hono/node-server';

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
