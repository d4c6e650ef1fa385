import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort, waitFor } from './agent-helpers';

/**
 * AWS's DynamoDB Local: DynamoDB's own engine, where dynalite is a reimplementation that is lenient in
 * places and ignores `ReturnValuesOnConditionCheckFailure`. It is a jar that `npm run dynamodb-local`
 * (scripts/dynamodb-local.sh) fetches, run by Java 17.
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** A client of it of its own (destroy it when done), as a Lambda container would have. */
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

/** Where scripts/dynamodb-local.sh unpacks it (the same default). */
const JAR_DIR =
  process.env.DYNAMODB_LOCAL_DIR ?? resolve(__dirname, '../../node_modules/.cache/dynamodb-local');

/** On a CI runner its tests must run: a DynamoDB Local that cannot start fails them. */
const IN_CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);

/** How long the JVM may take to answer (it shares two cores with the other test workers). */
const START_TIMEOUT_MS = 60_000;

/**
 * Runs `java "$@"` until its standard input closes: when the test process stops it, and when the test
 * process dies however it dies (a worker killed at a timeout has no exit handler to run), so that no
 * JVM outlives it. It exits as java does, with its status.
 */
const WATCHED = [
  'exec 3<&0',
  'java "$@" 3<&- & java=$!',
  '{ read -r _ <&3; kill "$java" 2>/dev/null; } &',
  'wait "$java"',
].join('\n');

/** Why DynamoDB Local cannot run here (no jar, no Java 17), or `undefined` when it can. */
export function dynamoDbLocalMissing(): string | undefined {
  if (process.platform === 'win32') return 'it is started through a POSIX sh, which Windows lacks';
  if (!existsSync(join(JAR_DIR, 'DynamoDBLocal.jar'))) {
    return `no DynamoDBLocal.jar in ${JAR_DIR} (npm run dynamodb-local fetches it)`;
  }
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) return `no java on the PATH (${java.error.message}); DynamoDB Local needs Java 17`;
  const major = Number(/version "(\d+)/.exec(java.stderr)?.[1]);
  if (!(major >= 17)) return `java is ${java.stderr.split('\n')[0]}; DynamoDB Local needs Java 17`;
  return undefined;
}

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
      // A short run on cores shared with the other test workers: the quick JIT only, one GC thread.
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
  // It never keeps a test process alive (its pipes are sockets, which may be unreferenced too).
  child.unref();
  for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as unknown as Socket).unref();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const client = (): DynamoDBClient =>
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      // DynamoDB Local takes any key, but only one of letters and digits.
      credentials: { accessKeyId: 'hbwtests', secretAccessKey: 'hbwtests' },
      maxAttempts: 3,
    });
  const stop = async () => {
    child.stdin.end();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const probe = client();
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
  return { endpoint, client, stop };
}

/**
 * A `describe` over one DynamoDB Local, started before its tests and stopped after them: `local()`
 * answers it inside them. Where it cannot run (no jar, no Java) its tests are skipped and the reason
 * printed, but on a CI runner (`CI` set) they fail with it.
 */
export function describeOnDynamoDbLocal(name: string, body: (local: () => DynamoDbLocal) => void): void {
  const missing = dynamoDbLocalMissing();
  if (missing && !IN_CI) {
    console.warn(`${name}: skipped, DynamoDB Local cannot run here: ${missing}`);
    describe.skip(`${name} (skipped: ${missing})`, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let started: DynamoDbLocal | undefined;
    beforeAll(async () => {
      started = await startDynamoDbLocal();
    }, START_TIMEOUT_MS + 10_000);
    afterAll(() => started?.stop());
    body(() => {
      if (!started) throw new Error('DynamoDB Local did not start');
      return started;
    });
  });
}
