import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface EmbeddedDynamo {
  readonly endpoint: string;
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
  | { readonly type: 'listening'; readonly port: number }
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
require(workerData.dynaliteIterators).closeDynaliteIterators(workerData.dynalite);

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
    server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
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
 * Starts dynalite on a free loopback port, in a worker thread of its own: kept in `<dataDir>/dynamodb`
 * (LevelDB) so a restart loses nothing, or in memory when `dataDir` is undefined (tests).
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
  const worker = new Worker(DYNALITE_THREAD, {
    eval: true,
    workerData: {
      dynalite: require.resolve('dynalite'),
      // A file of its own beside this module's code (build.mjs copies it into dist/), for the thread
      // to require: the patch that makes dynalite close its LevelDB iterators.
      dynaliteIterators: require.resolve('./dynalite-iterators.js'),
      path,
    },
  });
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the dynalite thread exited with code ${code}`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: DynamoMessage) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (message.type === 'listening') resolve(message.port);
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
    endpoint: `http://127.0.0.1:${port}`,
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
