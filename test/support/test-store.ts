import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../cli/embedded-dynamo';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import {
  DYNAMODB_LOCAL_REGION,
  DYNAMODB_LOCAL_SECRET,
  dynamoDbLocalClient,
  ENDPOINT_VARIABLE,
  FAILURE_VARIABLE,
} from './dynamodb-local';
import { startTcpDoor } from './tcp-door';

/**
 * The store the tests of the stores, the scanner and the faults run over, which the jest project
 * picks (jest.config.js): `dynalite`, the embedded store of local mode, or `dynamodb-local`, AWS's
 * DynamoDB Local. Both run the same tests.
 */
export type TestStoreName = 'dynalite' | 'dynamodb-local';
export const TEST_STORE: TestStoreName =
  process.env.HBW_TEST_STORE === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

/**
 * The read a refused conditional write is followed by: none on DynamoDB, which returns the stored item
 * with the failure (`ReturnValuesOnConditionCheckFailure`); one on dynalite, which ignores the parameter.
 */
export const READ_AFTER_REFUSAL: readonly string[] = TEST_STORE === 'dynalite' ? ['GetItem'] : [];

/** Makes a new client of one store: each is a Lambda container of its own. */
export type NewDynamoClient = () => DynamoDBClient;

/** Clients of an embedded dynalite. */
export const embeddedClients =
  (dynamo: EmbeddedDynamo): NewDynamoClient =>
  () =>
    localDynamoClient(dynamo.connection);

/**
 * What a client made the SDK's default way (`new DynamoDBClient({})`, as the Lambda handlers make it)
 * needs to reach a store: the values of AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and the key.
 */
export interface SdkAccess {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  close(): Promise<void>;
}

/** A store of its own, empty when opened. */
export interface TestStore {
  readonly newClient: NewDynamoClient;
  /** The way in over TCP for a client of the SDK's defaults: for dynalite, a TCP door to its socket. */
  sdkAccess(): Promise<SdkAccess>;
  close(): Promise<void>;
}

/**
 * Opens a store of `TEST_STORE`: an in-memory dynalite of its own, or a database of its own on the
 * run's one DynamoDB Local (an access key id of its own, letters and digits; it is dropped with the
 * JVM at the end of the run).
 */
export async function openTestStore(): Promise<TestStore> {
  if (TEST_STORE === 'dynalite') {
    const dynamo = await startEmbeddedDynamo();
    return {
      newClient: embeddedClients(dynamo),
      async sdkAccess() {
        const door = await startTcpDoor(dynamo.connection.socketPath);
        // dynalite takes any region.
        return {
          endpoint: door.url,
          region: 'local',
          credentials: dynamo.connection.credentials,
          close: door.close,
        };
      },
      close: () => dynamo.close(),
    };
  }
  const failure = process.env[FAILURE_VARIABLE];
  if (failure !== undefined) throw new Error(failure);
  const endpoint = process.env[ENDPOINT_VARIABLE];
  if (endpoint === undefined) {
    throw new Error(`no DynamoDB Local: ${ENDPOINT_VARIABLE} is set by the dynamodb-local jest project`);
  }
  const accessKeyId = `hbw${randomBytes(8).toString('hex')}`;
  const nothingToClose = async () => {};
  return {
    newClient: () => dynamoDbLocalClient(endpoint, accessKeyId),
    sdkAccess: async () => ({
      endpoint,
      region: DYNAMODB_LOCAL_REGION,
      credentials: { accessKeyId, secretAccessKey: DYNAMODB_LOCAL_SECRET },
      close: nothingToClose,
    }),
    close: nothingToClose,
  };
}
