import { unmarshall } from '@aws-sdk/util-dynamodb';
import { fromItem, type Item } from '../../lambda/adapters/dynamo';

describe('fromItem', () => {
  it('reads an item as unmarshall does, whatever the types of its attributes', () => {
    const item: Item = {
      agentId: { S: 'web-01' },
      createdAt: { N: '1764633600000' },
      clockSkewSeconds: { N: '-0.25' },
      agentless: { BOOL: false },
      gone: { NULL: true },
      probe: { M: { kind: { S: 'tcp' }, port: { N: '22' } } },
      recent: { L: [{ N: '1' }, { S: 'two' }] },
      tags: { SS: ['a', 'b'] },
      empty: { S: '' },
      zero: { N: '0' },
    };
    expect(fromItem(item)).toEqual(unmarshall(item));
  });

  it('leaves a number beyond the safe integers to the SDK, as unmarshall reads it (a BigInt)', () => {
    const item: Item = { seq: { N: '90071992547409930' } };
    expect(fromItem(item)).toEqual(unmarshall(item));
    expect(typeof fromItem(item).seq).toBe('bigint');
  });
});
