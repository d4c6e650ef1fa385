import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort, waitFor } from './agent-helpers';
import { dynamoDbLocalMissing, JAR_DIR } from './dynamodb-local-missing';

/**
 * AWS's DynamoDB Local: DynamoDB's own engine, where dynalite is a reimplementation that is lenient in
 * places and ignores `ReturnValuesOnConditionCheckFailure`. It is a jar that `npm run dynamodb-local`
 * (scripts/dynamodb-local.sh) fetches, run by Java 17. One serves a whole jest run (the
 * `dynamodb-local` project's global set-up, below); its tests reach it through test-store.ts.
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Where the global set-up tells the tests' processes the endpoint, or why it did not start. */
export const ENDPOINT_VARIABLE = 'HBW_DYNAMODB_LOCAL_ENDPOINT';
export const FAILURE_VARIABLE = 'HBW_DYNAMODB_LOCAL_FAILURE';

/** How long the JVM may take to answer (it shares two cores with the other test workers). */
const START_TIMEOUT_MS = 60_000;

/**
 * Runs `java "$@"` until its standard input closes: when the test process stops it, and when the test
 * process dies however it dies (a jest killed at a timeout has no exit handler to run), so that no JVM
 * outlives it. It exits as java does, with its status.
 */
const WATCHED = [
  'exec 3<&0',
  'java "$@" 3<&- & java=$!',
  '{ read -r _ <&3; kill "$java" 2>/dev/null; } &',
  'wait "$java"',
].join('\n');

/**
 * A client of DynamoDB Local, of the database of `accessKeyId`: without `-sharedDb` it keeps one
 * database per access key id and region, so a key of its own is a store of its own. It takes any
 * key, but only one of letters and digits (real DynamoDB's ids are so too).
 */
export function dynamoDbLocalClient(endpoint: string, accessKeyId: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: DYNAMODB_LOCAL_REGION,
    credentials: { accessKeyId, secretAccessKey: DYNAMODB_LOCAL_SECRET },
    maxAttempts: 3,
  });
}

/** The region and secret key of every client of it (a database is an access key id and a region). */
export const DYNAMODB_LOCAL_REGION = 'us-east-1';
export const DYNAMODB_LOCAL_SECRET = 'hbwtests';

/** Starts DynamoDB Local in memory on a free port, and answers once it answers a request. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const missing = dynamoDbLocalMissing();
  if (missing) throw new Error(`DynamoDB Local cannot start: ${missing}`);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    'sh',
    [
      '-c',
      WATCHED,
      'sh',
      // A run on cores shared with the test workers: the quick JIT only, one GC thread.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(JAR_DIR, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(JAR_DIR, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    // A process group of its own, so that a stop that does not answer can kill the JVM with it.
    { cwd: JAR_DIR, stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  // It never keeps jest alive (its pipes are sockets, which may be unreferenced too).
  child.unref();
  for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as unknown as Socket).unref();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    child.stdin.end();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const probe = dynamoDbLocalClient(endpoint, 'hbwprobe');
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`DynamoDB Local exited with ${child.exitCode} before it answered:\n${output}`);
        }
        try {
          await probe.send(new ListTablesCommand({}));
          return true;
        } catch {
          return false;
        }
      },
      `DynamoDB Local on ${endpoint}`,
      START_TIMEOUT_MS,
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { endpoint, stop };
}

const started = Symbol.for('hbw.dynamodbLocal');
type WithStarted = typeof globalThis & { [started]?: DynamoDbLocal };

/**
 * The `dynamodb-local` project's global set-up: starts the one DynamoDB Local of the run and tells
 * the workers its endpoint. When it cannot start, the reason is told instead, and every test over it
 * fails with that reason (the project runs at all only where it can, or on CI: jest.config.js).
 */
export async function startForRun(): Promise<void> {
  try {
    const local = await startDynamoDbLocal();
    (globalThis as WithStarted)[started] = local;
    process.env[ENDPOINT_VARIABLE] = local.endpoint;
  } catch (error) {
    process.env[FAILURE_VARIABLE] = error instanceof Error ? error.message : String(error);
  }
}

/** The project's global tear-down: stops what {@link startForRun} started. */
export async function stopForRun(): Promise<void> {
  await (globalThis as WithStarted)[started]?.stop();
}
