import { type BatchItem, RelayQueue, type Slot } from '../../cli/agent/relay-queue';

const item = (agentId: string, seq: number, more: object = {}): BatchItem => ({
  agentId,
  token: `hbw_${agentId}`,
  seq,
  bootId: 'boot-1',
  ...more,
});

function queue(options: { scanSeconds?: number; queueLimit?: number; batchSize?: number } = {}) {
  return new RelayQueue({
    batchSize: options.batchSize ?? 100,
    flushMs: 0,
    queueLimit: options.queueLimit ?? 100,
    scanSecondsOf: () => options.scanSeconds,
  });
}

const batchOf = (q: RelayQueue, at: number): Slot[] => {
  const step = q.next(at);
  return 'batch' in step ? step.batch : [];
};

describe('the relay queue', () => {
  it('keeps one place per agent: a newer heartbeat takes it over and counts the ones it replaced', () => {
    const q = queue();
    q.enqueue('a', item('a', 1), 0);
    q.enqueue('a', item('a', 2), 1);
    q.enqueue('b', item('b', 1), 2);
    const batch = batchOf(q, 10);
    expect(batch.map((s) => [s.item.agentId, s.item.seq, s.item.coalesced])).toEqual([
      ['a', 2, 2],
      ['b', 1, undefined],
    ]);
    expect(q.superseded).toBe(1);
  });

  it('paces an agent from when its last heartbeat left, once the watcher told its scan interval', () => {
    const q = queue({ scanSeconds: 2 });
    q.enqueue('a', item('a', 1), 0);
    const [first] = batchOf(q, 0);
    // The next heartbeat comes while the first is in flight; the watcher answers it at 300.
    q.enqueue('a', item('a', 2), 100);
    q.forwarded(first!, 300);
    q.settle([first!]);
    // Half the 2 s scan interval from when the first left (0), not from its answer (300).
    expect(q.next(500)).toEqual({ wakeInMs: 500 });
    expect(batchOf(q, 999)).toEqual([]);
    expect(batchOf(q, 1000).map((s) => s.item.seq)).toEqual([2]);
  });

  it('lets a goodbye go at once, whatever the pace, and every slot once it drains', () => {
    const q = queue({ scanSeconds: 30 });
    q.enqueue('a', item('a', 1), 0);
    q.enqueue('b', item('b', 1), 0);
    const first = batchOf(q, 0);
    for (const slot of first) q.forwarded(slot, 0);
    q.settle(first);
    q.enqueue('a', item('a', 2, { goodbye: { backInSeconds: 60 } }), 10);
    q.enqueue('b', item('b', 2), 10);
    expect(batchOf(q, 20).map((s) => s.item.agentId)).toEqual(['a']);
    q.drain();
    expect(batchOf(q, 20).map((s) => s.item.agentId)).toEqual(['b']);
  });

  it('tells the relay how long a heartbeat waited (heldMs), after what a relay before it held it', () => {
    const q = queue();
    q.enqueue('a', item('a', 1, { heldMs: 40 }), 0);
    expect(batchOf(q, 250)[0]!.item.heldMs).toBe(290);
  });

  it('drops the oldest agents beyond its limit and answers them to the relay', () => {
    const q = queue({ queueLimit: 2 });
    q.enqueue('a', item('a', 1), 0);
    q.enqueue('b', item('b', 1), 1);
    const { dropped } = q.enqueue('c', item('c', 1), 2);
    expect(dropped.map((s) => s.key)).toEqual(['a']);
    expect(q.length).toBe(2);
  });

  it('does not put a failed heartbeat back when its agent sent a newer one, which stands for it', () => {
    const q = queue();
    q.enqueue('a', item('a', 1), 0);
    const failed = batchOf(q, 0);
    q.enqueue('a', item('a', 2), 5);
    q.settle(failed);
    q.requeue(failed);
    const retried = batchOf(q, 10);
    expect(retried.map((s) => [s.item.seq, s.item.coalesced])).toEqual([[2, 2]]);
  });
});
