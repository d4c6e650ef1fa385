import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalDynamoConnection } from '../lambda/adapters/dynamo-client';
import { STORE_GUARD } from './store-guard';

export interface EmbeddedDynamo {
  /** The one way in: for `localDynamoClient`. */
  readonly connection: LocalDynamoConnection;
  close(): Promise<void>;
}

class EmbeddedDynamoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedDynamoError';
  }
}

/** What the dynalite thread tells the thread that started it. */
type DynamoMessage =
  | { readonly type: 'listening' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'closed' };

/**
 * The dynalite thread. An eval'd script, so that it runs the same from the TypeScript sources (tests)
 * and from the bundle in dist/; it requires dynalite by the absolute path the starting thread resolved.
 */
const DYNALITE_THREAD = `
const { dirname } = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalite);

// dynalite opens LevelDB lazily and throws from a callback when it cannot (another process holds its
// lock): open it once here first, so that such a data directory is refused at start, with the reason.
async function checkOpens(path) {
  if (path === undefined) return;
  const { Level } = require(require.resolve('level', { paths: [dirname(workerData.dynalite)] }));
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    throw new Error(error.cause?.message ?? error.message);
  }
  await db.close();
}

checkOpens(workerData.path).then(
  () => {
    const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    guardStore(server, workerData.guard);
    server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
    server.listen(workerData.socketPath, () => parentPort.postMessage({ type: 'listening' }));
    parentPort.on('message', (message) => {
      if (message !== 'close') return;
      server.close(() => {
        parentPort.postMessage({ type: 'closed' });
        parentPort.close();
      });
      server.closeAllConnections();
    });
  },
  (error) => {
    parentPort.postMessage({ type: 'error', message: error.message });
    parentPort.close();
  },
);
`;

/** How long `close()` waits for dynalite to close its files before it stops the thread anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Where dynalite listens: a Unix socket in a directory of its own that only this user may open
 * (mkdtemp makes it 0700), in the temp dir rather than the data dir, whose path may be too long for
 * a socket (about 100 bytes) or on a file system without sockets. Nothing on TCP, so no web page
 * and no other user of the machine can reach it; and the thread refuses any request not signed with
 * this process's key (cli/store-guard.ts), for a user who could open the directory.
 *
 * Windows has no such directory: dynalite listens on a named pipe with a random name. Its default
 * ACL gives full access to its creator, SYSTEM and the administrators, and only read access to
 * everyone else, so another user can open it but not send a request on it; and the key is checked
 * there as everywhere, so a request that does get through is refused unless this process signed it.
 */
function privateSocket(): { socketPath: string; remove(): void } {
  if (process.platform === 'win32') {
    return { socketPath: `\\\\.\\pipe\\hbw-dynamo-${randomBytes(16).toString('hex')}`, remove: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hbw-dynamo-'));
  const socketPath = join(dir, 'dynamodb.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    rmSync(dir, { recursive: true, force: true });
    throw new EmbeddedDynamoError(
      `the temp directory path ${tmpdir()} is too long for a socket; set TMPDIR to a shorter one`,
    );
  }
  return { socketPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** sun_path holds 108 bytes on Linux and 104 on macOS, with the final NUL. */
const MAX_SOCKET_PATH_BYTES = 100;

/**
 * Starts dynalite in a worker thread of its own, on a private socket, behind the store guard: kept
 * in `<dataDir>/dynamodb` (LevelDB) so a restart loses nothing, or in memory when `dataDir` is
 * undefined (tests).
 *
 * Its own thread because dynalite does real work for every request (validation, expressions,
 * LevelDB), as much as the HTTP server and the SDK client together: on one event loop with them it
 * halves the heartbeats a local watcher can take; on its own it uses a second core.
 */
export async function startEmbeddedDynamo(dataDir?: string): Promise<EmbeddedDynamo> {
  let path: string | undefined;
  if (dataDir !== undefined) {
    path = join(dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true });
  }
  const socket = privateSocket();
  const connection: LocalDynamoConnection = {
    socketPath: socket.socketPath,
    credentials: {
      accessKeyId: `HBW${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(32).toString('base64url'),
    },
  };
  const worker = new Worker(STORE_GUARD + DYNALITE_THREAD, {
    eval: true,
    workerData: {
      dynalite: require.resolve('dynalite'),
      path,
      socketPath: connection.socketPath,
      guard: {
        signatureV4: require.resolve('@smithy/signature-v4'),
        credentials: connection.credentials,
      },
    },
  });
  worker.once('exit', () => socket.remove());
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the dynalite thread exited with code ${code}`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: DynamoMessage) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (message.type === 'listening') resolve();
      else {
        void worker.terminate();
        reject(new Error(message.type === 'error' ? message.message : 'dynalite closed before it listened'));
      }
    });
  });
  // After start, a dynalite failure takes the process down, as it did when dynalite ran on this thread:
  // a watcher whose store is gone should stop, not answer 503 for ever.
  worker.on('error', (error) => {
    // While closing, a request still in flight may hit the database dynalite just closed ("Database
    // is closed") and end the thread: that is the close we asked for, not a failure.
    if (closing) return;
    throw new EmbeddedDynamoError(`the embedded DynamoDB stopped: ${error.message}`, { cause: error });
  });
  worker.on('exit', (code) => {
    if (!closing) throw new EmbeddedDynamoError(`the embedded DynamoDB thread exited with code ${code}`);
  });
  return {
    connection,
    close: async () => {
      if (closing) return;
      closing = true;
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      worker.postMessage('close');
      await exited;
      clearTimeout(timer);
    },
  };
}
