/** See dynalite-patches.js. Each takes the path `require.resolve('dynalite')` gives. */
/** Patch 1: makes dynalite close the LevelDB iterator behind each Scan and Query. */
export function closeDynaliteIterators(dynalitePath: string): void;
/** Patch 2: makes dynalite keep its expression parses, each request getting a copy with its own values. */
export function cacheDynaliteExpressions(dynalitePath: string): void;
/** Patch 3: makes dynalite keep its tables' descriptions, forgotten when it writes one. */
export function cacheDynaliteTables(dynalitePath: string): void;
/** All three, as the dynalite thread applies them. */
export function patchDynalite(dynalitePath: string): void;
