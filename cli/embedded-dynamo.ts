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

/** The store cannot start or cannot go on; the message says why and what to do. */
export class EmbeddedDynamoError extends Error {
  constructor(
    message: string,
    /** Another process holds the data directory (its LevelDB lock). */
    readonly inUse = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddedDynamoError';
  }
}

export interface EmbeddedDynamoOptions {
  /**
   * Told once when the store fails after it started (a full disk, a damaged file, the thread gone).
   * Without it the failure is thrown, and the process stops.
   */
  readonly onFailure?: (error: EmbeddedDynamoError) => void;
}

/** A LevelDB failure, as the thread reports it: its message and code (LEVEL_LOCKED, LEVEL_IO_ERROR...). */
interface StoreFailure {
  readonly message: string;
  readonly code?: string;
}

/** What a failure of the store means to the operator, with what to do about it. */
function storeError(path: string | undefined, failure: StoreFailure): EmbeddedDynamoError {
  const { message, code } = failure;
  const where = path ?? 'the in-memory store';
  if (code === 'LEVEL_LOCKED') return new EmbeddedDynamoError(message, true, { cause: failure });
  if (/no space left|file too large|quota/i.test(message)) {
    return new EmbeddedDynamoError(
      `cannot write to ${where} (${message}): the disk is full, or this process may write no more there (ulimit -f); make room, then start hbw local again`,
      false,
      { cause: failure },
    );
  }
  if (/permission denied|read-only/i.test(message)) {
    return new EmbeddedDynamoError(
      `cannot write to ${where} (${message}): check that this user may read and write it`,
      false,
      { cause: failure },
    );
  }
  if (code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR') {
    return new EmbeddedDynamoError(
      `cannot read ${where} (${message}): a file there is damaged or cut short; restore the directory from a copy, or move it aside to start afresh`,
      false,
      { cause: failure },
    );
  }
  return new EmbeddedDynamoError(message, false, { cause: failure });
}

/** What the dynalite thread tells the thread that started it. */
type DynamoMessage =
  | { readonly type: 'listening' }
  | { readonly type: 'error'; readonly message: string; readonly code?: string }
  | { readonly type: 'closed' };

/**
 * The dynalite thread. An eval'd script, so that it runs the same from the TypeScript sources (tests)
 * and from the bundle in dist/; it requires dynalite by the absolute path the starting thread resolved.
 */
const DYNALITE_THREAD = `
const { chmodSync, rmSync } = require('node:fs');
const { dirname } = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');

// dynalite makes its LevelDB as it starts and opens it lazily: a failure to open it (another process
// holds its lock) or to read it (a truncated file) would be thrown later from one of its callbacks,
// after the watcher said it listens ("Database is closed" for the second of two watchers started at
// once). So the thread takes hold of the database dynalite makes, opens it and reads it through before
// it listens: such a data directory is refused at start, with the reason.
const made = [];
const level = require(require.resolve('level', { paths: [dirname(workerData.dynalite)] }));
const DynaliteLevel = level.Level;
level.Level = class extends DynaliteLevel {
  constructor(...args) {
    super(...args);
    made.push(this);
  }
};
const dynalite = require(workerData.dynalite);
require(workerData.dynalitePatches).patchDynalite(workerData.dynalite);

async function openStore(db) {
  if (db === undefined) return;
  await db.open();
  for await (const _ of db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer', fillCache: false }));
}

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
openStore(made[0]).then(
  () => {
    guardStore(server, workerData.guard);
    server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message, code: error.code }));
    if (workerData.staleSocket) rmSync(workerData.socketPath, { force: true });
    server.listen(workerData.socketPath, () => {
      if (process.platform !== 'win32') chmodSync(workerData.socketPath, 0o600);
      parentPort.postMessage({ type: 'listening' });
    });
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
    const cause = error.cause ?? error;
    parentPort.postMessage({ type: 'error', message: cause.message, code: cause.code });
    parentPort.close();
  },
);
`;

/** How long `close()` waits for dynalite to close its files before it stops the thread anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Where dynalite listens: a Unix socket only this user may open (mode 600), in the data directory
 * (0700, see local-watcher.ts), or, when there is none or its path is too long for a socket (about
 * 100 bytes), in a directory of its own in the temp dir (mkdtemp makes it 0700). Not in the temp dir
 * always: a cleaner of old files there (systemd-tmpfiles, after 10 days) would take it from a
 * long-running watcher. Nothing on TCP, so no web page and no other user of the machine can reach
 * it; and the thread refuses any request not signed with this process's key (cli/store-guard.ts).
 *
 * Windows has no such directory: dynalite listens on a named pipe with a random name. Its default
 * ACL gives full access to its creator, SYSTEM and the administrators, and only read access to
 * everyone else, so another user can open it but not send a request on it; and the key is checked
 * there as everywhere, so a request that does get through is refused unless this process signed it.
 */
function privateSocket(dataDir: string | undefined): {
  socketPath: string;
  inDataDir: boolean;
  remove(): void;
} {
  if (process.platform === 'win32') {
    const socketPath = `\\\\.\\pipe\\hbw-dynamo-${randomBytes(16).toString('hex')}`;
    return { socketPath, inDataDir: false, remove: () => {} };
  }
  if (dataDir !== undefined) {
    const socketPath = join(dataDir, 'dynamodb.sock');
    if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH_BYTES) {
      return { socketPath, inDataDir: true, remove: () => rmSync(socketPath, { force: true }) };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'hbw-dynamo-'));
  const socketPath = join(dir, 'dynamodb.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    rmSync(dir, { recursive: true, force: true });
    throw new EmbeddedDynamoError(
      `the temp directory path ${tmpdir()} is too long for a socket; set TMPDIR to a shorter one`,
    );
  }
  return { socketPath, inDataDir: false, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** sun_path holds 108 bytes on Linux and 104 on macOS, with the final NUL. */
const MAX_SOCKET_PATH_BYTES = 100;

/** Resolves once the dynalite thread listens (`onListening` first); rejects with why it did not. */
function untilListening(worker: Worker, path: string | undefined, onListening: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onExit = (code: number) =>
      reject(new EmbeddedDynamoError(`the dynalite thread exited with code ${code}`));
    const onError = (error: Error) => reject(storeError(path, error));
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.once('message', (message: DynamoMessage) => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (message.type === 'listening') {
        onListening();
        resolve();
      } else {
        void worker.terminate();
        reject(
          message.type === 'error'
            ? storeError(path, message)
            : new EmbeddedDynamoError('dynalite closed before it listened'),
        );
      }
    });
  });
}

/**
 * Starts dynalite in a worker thread of its own, on a private socket, behind the store guard: kept
 * in `<dataDir>/dynamodb` (LevelDB) so a restart loses nothing, or in memory when `dataDir` is
 * undefined (tests).
 *
 * Its own thread because dynalite does real work for every request (validation, expressions,
 * LevelDB), as much as the HTTP server and the SDK client together: on one event loop with them it
 * halves the heartbeats a local watcher can take; on its own it uses a second core.
 */
export async function startEmbeddedDynamo(
  dataDir?: string,
  options: EmbeddedDynamoOptions = {},
): Promise<EmbeddedDynamo> {
  let path: string | undefined;
  if (dataDir !== undefined) {
    path = join(dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }
  const socket = privateSocket(dataDir);
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
      // A file of its own beside this module's code (build.mjs copies it into dist/), for the thread
      // to require: our patches to dynalite (its LevelDB iterators, its parses, its tables).
      dynalitePatches: require.resolve('./dynalite-patches.js'),
      path,
      socketPath: connection.socketPath,
      // One left by a watcher that was killed: the thread removes it once it holds the data directory.
      staleSocket: socket.inDataDir,
      guard: {
        signatureV4: require.resolve('@smithy/signature-v4'),
        credentials: connection.credentials,
      },
    },
  });
  let closing = false;
  let listened = false;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      // A socket in the data directory is another watcher's when this one never got to listen.
      if (listened || !socket.inDataDir) socket.remove();
      resolve();
    }),
  );
  await untilListening(worker, path, () => {
    listened = true;
  });
  // After start, a failure of the store (a full disk, a damaged file) ends the thread; the watcher
  // whose store is gone should stop with the reason, not answer 503 for ever.
  let failed = false;
  const fail = (error: EmbeddedDynamoError) => {
    if (closing || failed) return;
    failed = true;
    if (!options.onFailure) throw error;
    options.onFailure(error);
  };
  // While closing, a request still in flight may hit the database dynalite just closed ("Database is
  // closed") and end the thread: that is the close we asked for, not a failure.
  worker.on('error', (error) => fail(storeError(path, error)));
  worker.on('exit', (code) =>
    fail(new EmbeddedDynamoError(`the embedded DynamoDB thread exited with code ${code}`)),
  );
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
