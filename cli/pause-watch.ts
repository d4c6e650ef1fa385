import type { BlindWindow } from '../lambda/domain/blind';

/** How many pauses are kept: far more than can fall between two scans. */
const KEPT = 20;

/**
 * The stretches in which this process did not run: stopped (SIGSTOP, a debugger), a laptop asleep, a
 * virtual machine frozen, or an event loop held up by one long task. A timer ticks every `everyMs`;
 * a tick that comes more than `minMs` after the one before marks a pause between them. In local mode
 * the heartbeat route runs in this process too, so no heartbeat could be taken in a pause: the
 * scanner counts it as blind (`ScannerDeps.pauses`).
 */
export class PauseWatch {
  private last: number;
  private readonly pauses: BlindWindow[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly minMs: number,
    private readonly now: () => number = Date.now,
    everyMs = 100,
  ) {
    this.last = now();
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  /**
   * The pauses that ended after `time`. It looks at the clock first, so a pause that has just ended
   * counts before the timer has had its turn.
   */
  since(time: number): BlindWindow[] {
    this.tick();
    return this.pauses.filter((pause) => pause.end > time);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = this.now();
    if (now - this.last > this.minMs) {
      this.pauses.push({ start: this.last, end: now });
      if (this.pauses.length > KEPT) this.pauses.shift();
    }
    this.last = now;
  }
}
