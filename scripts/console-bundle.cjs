// The console's script (cli/console/main.ts and the modules it imports, lambda/domain's among them),
// bundled by esbuild for the browser into one script the page carries inline. The release build
// (scripts/bundle.cjs) runs it once and writes the result into the CLI; run from source (the tests),
// cli/console-page.ts runs it when first loaded.
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

/** One minified IIFE, no import left, no comment of any module; and the files it was made of. */
function bundleConsole() {
  const { buildSync } = require('esbuild');
  const built = buildSync({
    entryPoints: [join(ROOT, 'cli/console/main.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  return { script: built.outputFiles[0].text.trimEnd(), inputs: Object.keys(built.metafile.inputs) };
}

/** The console's script, as the page carries it. */
const buildConsoleScript = () => bundleConsole().script;

module.exports = { buildConsoleScript, bundleConsole };
