// Bundles the CLI (and the benchmark, soak and load runners) into dist/. Dependencies stay in node_modules.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: {
    hbw: 'bin/hbw.ts',
    'heartbeat-watcher': 'bin/heartbeat-watcher.ts',
    ...(existsSync('bench/run.ts') ? { bench: 'bench/run.ts' } : {}),
    ...(existsSync('bench/soak.ts') ? { soak: 'bench/soak.ts' } : {}),
    ...(existsSync('bench/load.ts') ? { load: 'bench/load.ts' } : {}),
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  // The dynalite thread requires this file by path (cli/embedded-dynamo.ts): it ships beside the bundles.
  external: ['./dynalite-iterators.js'],
  sourcemap: true,
  define: { __HBW_VERSION__: JSON.stringify(version) },
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
copyFileSync('cli/dynalite-iterators.js', 'dist/dynalite-iterators.js');
