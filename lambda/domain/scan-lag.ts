/** How far behind the scanner looks from one reading of it, and whether that is behind. */
export interface ScanLag {
  /** The age of the last scan as it is shown: tenths of a second below 10 s, whole seconds above. */
  readonly ageMs: number;
  /** The age beyond which the scanner is behind. */
  readonly limitMs: number;
  readonly behind: boolean;
}

/**
 * Whether the scanner is behind, read at `now` (the watcher's clock) from the start of the last
 * completed scan. A scanner keeping up shows an age of up to one interval plus the scan under way,
 * which is recorded only when it completes; and the cloud leaves out a scan whose moment passed by
 * more than half an interval. So it is behind only past three intervals: two, and one more for a
 * scan under way or left out. The age is judged as it is shown, so the words never claim an age
 * beyond a limit that it does not exceed.
 */
export function scanLag(lastScanAt: number, now: number, tickSeconds: number): ScanLag {
  const age = Math.max(0, now - lastScanAt);
  const ageMs = age < 10_000 ? Math.floor(age / 100) * 100 : Math.floor(age / 1000) * 1000;
  const limitMs = 3 * tickSeconds * 1000;
  return { ageMs, limitMs, behind: ageMs > limitMs };
}
