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

/** dynalite's store module: what the tests of cli/dynalite-patches.js look into. */
declare module 'dynalite/db' {
  /** The part of its LevelDB (abstract-level, classic-level) that the tests use. */
  interface DynaliteLevel {
    attachResource(resource: object): void;
    detachResource(resource: object): void;
    compactRange(start: string, end: string): Promise<void>;
    approximateSize(start: string, end: string): Promise<number>;
  }
  /** The sub-database of the tables' descriptions, callback style. */
  interface DynaliteTableDb {
    get(name: string, callback: (error: Error | null, table?: object) => void): void;
    put(name: string, table: object, callback: (error?: Error | null) => void): void;
  }
  interface DynaliteStore {
    readonly db: DynaliteLevel;
    readonly tableDb: DynaliteTableDb;
  }
  /** `dynalite()` creates its store through `create`, which a test may wrap to see the store. */
  const dynaliteDb: { create: (options: { path?: string }) => DynaliteStore };
  export = dynaliteDb;
}

/** One of dynalite's generated expression parsers: what the tests of cli/dynalite-patches.js count. */
declare module 'dynalite/db/updateParser' {
  const updateParser: { parse: (...args: unknown[]) => unknown };
  export = updateParser;
}
