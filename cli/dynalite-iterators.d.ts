/** See dynalite-iterators.js: makes dynalite close the LevelDB iterator behind each Scan and Query. */
export function closeDynaliteIterators(dynalitePath: string): void;
