import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { cannedDynamo } from '../../bench/lambda-cpu';
import { SDK_CLIENT_CONFIG } from '../../lambda/adapters/sdk-config';

describe("the functions' SDK clients (cacheMiddleware)", () => {
  it("resolve a command's middleware once: middleware added after that command's first send is not seen", async () => {
    const client = new DynamoDBClient({
      ...SDK_CLIENT_CONFIG,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
      requestHandler: cannedDynamo('{}'),
    });
    const key = { TableName: 'agents', Key: { agentId: { S: 'a-1' } } };
    await client.send(new GetItemCommand(key));
    const seen: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        seen.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'addedLate' },
    );

    await client.send(new GetItemCommand(key));
    await client.send(new PutItemCommand({ TableName: 'agents', Item: key.Key }));

    // GetItem went out with the stack of its first send; PutItem, sent for the first time, sees it.
    expect(seen).toEqual(['PutItemCommand']);
    client.destroy();
  });
});
