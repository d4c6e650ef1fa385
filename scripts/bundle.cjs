// How the CLI is bundled, for `npm run build` (scripts/build.mjs) and for the tests that run the CLI as
// a process: one set of esbuild options, and the file that has to ship beside the bundles.
const { copyFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { buildConsoleScript } = require('./console-bundle.cjs');

const ROOT = join(__dirname, '..');

/**
 * The bundles of the `hbw` command, by output name: `hbw` runs the agent's own commands and loads
 * `hbw-cli` (required by path, beside it) for every other.
 */
const CLI_ENTRIES = { hbw: 'bin/hbw.ts', 'hbw-cli': 'bin/hbw-cli.ts' };

/**
 * Bundles `entryPoints` into `outdir` (or one entry into `outfile`) and copies beside them what the
 * bundles require by path at run time.
 * @param {{ entryPoints: string[] | Record<string, string>, outdir?: string, outfile?: string, version: string, banner?: string, sourcemap?: boolean }} options
 */
async function bundle(options) {
  const { build } = require('esbuild');
  const { version, outdir, outfile, banner, ...rest } = options;
  await build({
    ...rest,
    ...(outdir ? { outdir } : { outfile }),
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    // The dynalite thread requires this file by path (cli/embedded-dynamo.ts): it ships beside the
    // bundles. bin/hbw.ts requires the whole CLI by path, so the agent's bundle stays small.
    // cli/console-page.ts builds the console's script from source only when no bundle carries it.
    external: ['./dynalite-patches.js', './hbw-cli.js', '../scripts/console-bundle.cjs'],
    define: {
      __HBW_VERSION__: JSON.stringify(version),
      __HBW_CONSOLE_SCRIPT__: JSON.stringify(buildConsoleScript()),
    },
    // The sh installer and agent the watcher serves (lambda/http/install-script.ts), as text.
    loader: { '.sh': 'text' },
    ...(banner ? { banner: { js: banner } } : {}),
    logLevel: 'warning',
  });
  const dir = outdir ? resolve(ROOT, outdir) : dirname(outfile);
  copyFileSync(join(ROOT, 'cli/dynalite-patches.js'), join(dir, 'dynalite-patches.js'));
}

module.exports = { bundle, CLI_ENTRIES };
