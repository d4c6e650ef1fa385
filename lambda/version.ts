/** The watcher's version, set at build time by esbuild; `dev` when run from source. */
declare const __HBW_VERSION__: string | undefined;
export const WATCHER_VERSION: string = typeof __HBW_VERSION__ === 'string' ? __HBW_VERSION__ : 'dev';
