import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { returnsItemOnConditionFailure } from '../../lambda/adapters/dynamo-client';
import { hashSecret } from '../../lambda/domain/secrets';

// Against DynamoDB (here its client, mocked), a refused heartbeat is judged by what the failed write
// returns: no read on any refused path, whether or not the agent exists.
describe('a refused heartbeat against DynamoDB', () => {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const dynamo = mockClient(client);
  const store = new DynamoAgentStore(client, 'agents');
  const write = { agentId: 'web-01', at: 1_795_435_200_000, seq: 3, bootId: 'boot-a' };
  const refused = (Item?: Record<string, AttributeValue>) =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item });
  afterEach(() => dynamo.reset());
  afterAll(() => client.destroy());

  it('is a client whose failed writes return the item', () => {
    expect(returnsItemOnConditionFailure(client)).toBe(true);
  });

  it('asks for the stored item with the write, and takes it from the failure without a read', async () => {
    dynamo.on(UpdateItemCommand).rejects(
      refused({
        agentId: { S: 'web-01' },
        group: { S: 'production' },
        approval: { S: 'approved' },
        createdAt: { N: '1795430000000' },
        tokenHash: { S: hashSecret('hbw_other') },
        seq: { N: '9' },
        bootId: { S: 'boot-a' },
      }),
    );

    const outcome = await store.recordHeartbeat(write, hashSecret('hbw_other'));

    expect(outcome).toMatchObject({ current: { agentId: 'web-01', seq: 9 } });
    expect(dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input.ReturnValuesOnConditionCheckFailure).toBe(
      'ALL_OLD',
    );
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('takes a failure without an item for an unknown agent, without a read either', async () => {
    dynamo.on(UpdateItemCommand).rejects(refused());

    expect(await store.recordHeartbeat(write, hashSecret('hbw_x'))).toEqual({ current: undefined });
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });
});
