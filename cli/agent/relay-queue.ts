import { coalesce } from '../../lambda/domain/loss';
import { MAX_BATCH_BODY_BYTES } from '../../lambda/http/wire';

/** What the relay puts in one batch body: what the watcher takes, less room for the wrapper. */
const RELAY_MAX_BATCH_BYTES = MAX_BATCH_BODY_BYTES - 1024;
/** The most agents the relay remembers anything of; the one set longest ago is forgotten first. */
const MAX_KNOWN_AGENTS = 100_000;

export interface BatchItem {
  readonly agentId: string;
  readonly token: string;
  readonly [field: string]: unknown;
}

/** An agent's place in the queue: its newest heartbeat not yet sent. */
export interface Slot {
  /** The agent id and the hash of its token (never the token): one slot, one `known` entry each. */
  readonly key: string;
  /** When the slot was queued: how long the agent's heartbeat has waited. */
  readonly at: number;
  /** When the batch that holds it left: the watcher's write of it, for the agent's pace (see `dueAt`). */
  takenAt?: number;
  /** When the heartbeat it holds now arrived: the watcher is told how long it was held (`heldMs`). */
  arrivedAt: number;
  /** What a relay before this one held it for (its `heldMs` as it arrived). */
  heldBefore?: number;
  item: BatchItem;
  bytes: number;
  /** The agent's answer, while it waits for what the watcher says of this heartbeat. */
  held?: { readonly res: import('node:http').ServerResponse; readonly timer: NodeJS.Timeout };
}

/** Sets `key` in a map kept to {@link MAX_KNOWN_AGENTS} entries: the one set longest ago goes first. */
export function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KNOWN_AGENTS) map.delete(map.keys().next().value as string);
}

const heldBefore = (item: BatchItem) => (typeof item.heldMs === 'number' ? item.heldMs : undefined);

/** An item's bytes in a batch body, with room for the `heldMs` it gets as it leaves (and its comma). */
export const itemBytes = (item: Readonly<Record<string, unknown>>) =>
  Buffer.byteLength(JSON.stringify(item)) + 1 + ',"heldMs":999999999'.length;

export interface RelayQueueOptions {
  readonly batchSize: number;
  readonly flushMs: number;
  readonly queueLimit: number;
  /** The scan interval the watcher last told for an agent (by key), if it told one. */
  readonly scanSecondsOf: (key: string) => number | undefined;
}

/** What the pump does next: send a batch, or wait (`wakeInMs`: until then; none: for a batch to end). */
export type NextStep = { readonly batch: Slot[] } | { readonly wakeInMs?: number };

/**
 * The relay's queue. Each agent (id and token) has one place in it, which a newer heartbeat takes
 * over while it waits (only the newest is worth sending), and never two heartbeats in flight, so a
 * retried batch cannot land after a newer one. An agent that beats more often than the watcher needs
 * is paced: see {@link RelayQueue.dueAt}.
 */
export class RelayQueue {
  /** Slots waiting to be sent, oldest first, and the same by key. */
  private readonly slots: Slot[] = [];
  private readonly queued = new Map<string, Slot>();
  /** Keys with a heartbeat in a batch in flight: the agent's next one waits until that batch ends. */
  private readonly sending = new Set<string>();
  /**
   * When the last heartbeat the watcher took of each agent left the relay (the relay's clock), by
   * agent id and token hash: its pace counts from there.
   */
  private readonly forwardedAt = new Map<string, number>();
  /** Closing: every slot may go at once, paced or not. */
  private draining = false;
  /** Heartbeats replaced, before they were sent, by a newer one of the same agent. */
  superseded = 0;

  constructor(private readonly options: RelayQueueOptions) {}

  get length(): number {
    return this.slots.length;
  }

  /** Lets every slot go at once (the relay is closing). */
  drain(): void {
    this.draining = true;
  }

  /**
   * Puts a heartbeat in its agent's slot: a newer one takes the place of the one not sent yet.
   * Answers the slot and the slots dropped, oldest first, to stay within the queue limit.
   */
  enqueue(key: string, item: BatchItem, at: number): { slot: Slot; dropped: Slot[] } {
    const waiting = this.queued.get(key);
    if (waiting) {
      this.supersede(waiting, waiting.item, item);
      waiting.arrivedAt = at;
      waiting.heldBefore = heldBefore(item);
      return { slot: waiting, dropped: [] };
    }
    const slot: Slot = { key, at, item, bytes: itemBytes(item), arrivedAt: at, heldBefore: heldBefore(item) };
    this.slots.push(slot);
    this.queued.set(key, slot);
    return { slot, dropped: this.trim() };
  }

  /**
   * When a slot may go: the watcher needs one heartbeat per scan, so an agent that beats more often
   * than every half scan interval has one forwarded per half interval, the newest, standing for those
   * it replaced (`coalesced`). Its first heartbeat, or one whose interval the watcher has not told
   * yet, goes at once, and so does a goodbye: its agent is about to stop. It is worked out when asked,
   * not when the heartbeat came: a heartbeat that came while the one before was in flight counts its
   * pace from that one, whose answer had not come yet.
   */
  dueAt(slot: Slot): number {
    const scanSeconds = this.options.scanSecondsOf(slot.key);
    const last = this.forwardedAt.get(slot.key);
    if (scanSeconds === undefined || last === undefined || slot.item.goodbye !== undefined) return slot.at;
    return Math.max(slot.at, last + scanSeconds * 500);
  }

  /** What to do at `at`: a batch that is due, or how long to wait for one. */
  next(at: number): NextStep {
    const going = this.slots.filter((slot) => this.ready(slot, at));
    if (going.length === 0) {
      // Every agent queued has a heartbeat in flight (the batch that ends calls the pump again), or
      // waits for its pace.
      const paced = this.slots.filter((slot) => !this.sending.has(slot.key)).map((slot) => this.dueAt(slot));
      return paced.length > 0 ? { wakeInMs: Math.min(...paced) - at } : {};
    }
    const { batchSize, flushMs } = this.options;
    const due = this.draining || going.length >= batchSize || at - going[0]!.at >= flushMs;
    if (!due) return { wakeInMs: going[0]!.at + flushMs - at };
    return { batch: this.take(at) };
  }

  /** The batch has ended: its agents may send their next heartbeat. */
  settle(batch: readonly Slot[]): void {
    for (const slot of batch) this.sending.delete(slot.key);
  }

  /** The watcher took the slot's heartbeat: the agent's pace counts from when it left. */
  forwarded(slot: Slot, answeredAt: number): void {
    remember(this.forwardedAt, slot.key, slot.takenAt ?? answeredAt);
  }

  /**
   * Puts slots back at the front for a retry, but not one whose agent has sent a newer heartbeat
   * since: that one stands for it too. Answers the slots dropped to stay within the queue limit.
   */
  requeue(batch: readonly Slot[]): Slot[] {
    const back = batch.filter((slot) => !this.queued.has(slot.key));
    for (const slot of batch) {
      const newer = this.queued.get(slot.key);
      if (newer) this.supersede(newer, slot.item, newer.item);
    }
    for (const slot of back) this.queued.set(slot.key, slot);
    this.slots.unshift(...back);
    return this.trim();
  }

  /** `newer` in the place of `older`, never sent: it stands for the heartbeats `older` stood for. */
  private supersede(slot: Slot, older: BatchItem, newer: BatchItem): void {
    slot.item = coalesce(older, newer);
    slot.bytes = itemBytes(slot.item);
    this.superseded += 1;
  }

  /** Drops the oldest slots beyond the queue limit, and answers them. */
  private trim(): Slot[] {
    const dropped: Slot[] = [];
    while (this.slots.length > this.options.queueLimit) {
      const slot = this.slots.shift()!;
      this.queued.delete(slot.key);
      dropped.push(slot);
    }
    return dropped;
  }

  /** A slot that may go now: its agent has none in flight, and its pace allows it (or the relay is closing). */
  private ready(slot: Slot, at: number): boolean {
    return !this.sending.has(slot.key) && (this.draining || this.dueAt(slot) <= at);
  }

  /** The next batch, oldest first, passing over the agents that have a heartbeat in flight or must wait. */
  private take(at: number): Slot[] {
    const batch: Slot[] = [];
    const passed: Slot[] = [];
    let bytes = 20;
    let index = 0;
    for (; index < this.slots.length && batch.length < this.options.batchSize; index++) {
      const slot = this.slots[index]!;
      if (!this.ready(slot, at)) {
        passed.push(slot);
        continue;
      }
      if (batch.length > 0 && bytes + slot.bytes > RELAY_MAX_BATCH_BYTES) break;
      // How long it waited here (in the queue, for its pace, for retries), after any relay before
      // this one: the watcher dates it so.
      const waited = at - slot.arrivedAt;
      if (waited > 0) slot.item = { ...slot.item, heldMs: (slot.heldBefore ?? 0) + waited };
      batch.push(slot);
      bytes += slot.bytes;
    }
    this.slots.splice(0, index, ...passed);
    for (const slot of batch) {
      this.queued.delete(slot.key);
      this.sending.add(slot.key);
      slot.takenAt = at;
    }
    return batch;
  }
}
