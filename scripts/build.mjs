// Bundles the CLI (and the benchmark, soak and load runners) into dist/. Dependencies stay in node_modules.
import { existsSync, readFileSync } from 'node:fs';
import bundler from './bundle.cjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await bundler.bundle({
  entryPoints: {
    ...bundler.CLI_ENTRIES,
    'heartbeat-watcher': 'bin/heartbeat-watcher.ts',
    openapi: 'scripts/openapi.ts',
    ...(existsSync('bench/run.ts') ? { bench: 'bench/run.ts' } : {}),
    ...(existsSync('bench/soak.ts') ? { soak: 'bench/soak.ts' } : {}),
    ...(existsSync('bench/load.ts') ? { load: 'bench/load.ts' } : {}),
  },
  outdir: 'dist',
  version,
  sourcemap: true,
  banner: '#!/usr/bin/env node',
});
