import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { withoutSdkLogging } from './sdk-logging';

/** How to reach the embedded DynamoDB of this process (cli/embedded-dynamo.ts), and nothing else can. */
export interface LocalDynamoConnection {
  /** The Unix socket it listens on, in a directory only this user may open (a named pipe on Windows). */
  readonly socketPath: string;
  /** Made afresh by each process: the store refuses every request that is not signed with it. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Keep-alive HTTP over one Unix socket (or named pipe) instead of TCP. */
class SocketAgent extends Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: true, maxSockets: 50 });
  }

  override createConnection(): Socket {
    return connect(this.socketPath);
  }
}

/** Clients of the embedded DynamoDB (dynalite), which differs from DynamoDB where said. */
const embedded = new WeakSet<DynamoDBClient>();

/**
 * Whether a failed conditional write through `client` returns the item as it is stored, when asked
 * (`ReturnValuesOnConditionCheckFailure`). DynamoDB does; dynalite ignores the parameter.
 */
export function returnsItemOnConditionFailure(client: DynamoDBClient): boolean {
  return !embedded.has(client);
}

/**
 * A client for the embedded DynamoDB of this process: over its socket, signed with its key, in a
 * fixed region, so that no AWS account or credential chain is ever consulted.
 */
export function localDynamoClient(
  connection: LocalDynamoConnection,
  /** `SDK_CLIENT_CONFIG` for the watcher's own client; the tests' and the bench's keep the default. */
  config: { readonly cacheMiddleware?: boolean } = {},
): DynamoDBClient {
  const client = withoutSdkLogging(
    new DynamoDBClient({
      ...config,
      // The host name is only what the Host header says (and the signature covers): the socket is the way.
      endpoint: 'http://localhost',
      region: 'local',
      credentials: connection.credentials,
      requestHandler: { httpAgent: new SocketAgent(connection.socketPath) },
      maxAttempts: 3,
    }),
  );
  embedded.add(client);
  return client;
}
