import type { BuildOptions } from 'esbuild';
// The version the functions say they are (lambda/version.ts): the package's, as the CLI's build says.
// Imported, so that a bundle of the CDK app carries it wherever it runs from.
import { version } from '../package.json';

/**
 * How every Lambda is bundled: what the stack's functions deploy (WatcherFunction) and what the bench
 * measures (bench/function-bundles.ts), one definition for both. One minified ES module with the AWS
 * SDK inside, each package read from its ES module build first (`module` before `main`), as the AWS
 * SDK for JavaScript v3 recommends for bundling: its ES modules tree-shake, its CommonJS ones do not.
 * Nothing in the bundles calls `require` (esbuild emits no `__require` for them), so they need no
 * `createRequire` banner; a package that did would fail at import, which the bench's cold imports show.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  /** Lambda's nodejs24.x runtime (WatcherFunction). */
  target: 'node24',
  /** The sh installer and agent the installer function serves (lambda/http/install-script.ts), as text. */
  loader: { '.sh': 'text' },
  define: { __HBW_VERSION__: JSON.stringify(version) },
} as const;

/** The same bundling as esbuild's options, for the builds outside CDK: the bench's and the tests'. */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  ...LAMBDA_BUNDLING,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
} satisfies BuildOptions;
