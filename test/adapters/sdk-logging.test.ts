import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { withoutSdkLogging } from '../../lambda/adapters/sdk-logging';

/** A logger that counts what the SDK hands it. */
function countingLogger() {
  const calls = { info: 0, error: 0 };
  return {
    calls,
    logger: {
      debug: () => {},
      warn: () => {},
      info: () => {
        calls.info += 1;
      },
      error: () => {
        calls.error += 1;
      },
    },
  };
}

/** A client whose every request is answered by `body` (an item), without a network. */
function answeringClient(logger: ReturnType<typeof countingLogger>['logger']) {
  return new DynamoDBClient({
    region: 'local',
    endpoint: 'http://localhost',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    logger,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: new Blob([
            JSON.stringify({ Item: { id: { S: 'a' }, note: { S: 'x'.repeat(100) } } }),
          ]).stream(),
        },
      }),
    },
  });
}

const get = new GetItemCommand({ TableName: 'agents', Key: { id: { S: 'a' } } });

describe('an AWS SDK client without its logger middleware', () => {
  it('hands nothing to a logger: the SDK no longer copies each request and answer for it', async () => {
    const { calls, logger } = countingLogger();
    const client = withoutSdkLogging(answeringClient(logger));

    const out = await client.send(get);

    expect(out.Item?.id).toEqual({ S: 'a' });
    expect(calls).toEqual({ info: 0, error: 0 });
  });

  it('is what the SDK does otherwise: each answer is copied and handed to the logger', async () => {
    const { calls, logger } = countingLogger();
    const client = answeringClient(logger);

    await client.send(get);

    expect(calls.info).toBe(1);
  });
});
