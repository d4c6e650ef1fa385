declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

/** dynalite's store module: what the tests of cli/dynalite-iterators.js look into. */
declare module 'dynalite/db' {
  /** The part of its LevelDB (abstract-level, classic-level) that the tests use. */
  interface DynaliteLevel {
    attachResource(resource: object): void;
    detachResource(resource: object): void;
    compactRange(start: string, end: string): Promise<void>;
    approximateSize(start: string, end: string): Promise<number>;
  }
  interface DynaliteStore {
    readonly db: DynaliteLevel;
  }
  /** `dynalite()` creates its store through `create`, which a test may wrap to see the store. */
  const dynaliteDb: { create: (options: { path?: string }) => DynaliteStore };
  export = dynaliteDb;
}
