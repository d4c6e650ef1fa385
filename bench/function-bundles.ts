import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { FLOOR_SOURCE, LAMBDA_BUILD, stats, timeImports } from './ingest-bundle';
import { waitForQuiet } from './machine';

export interface FunctionBundleRow {
  readonly handler: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly importMs: number;
  readonly sizeRatio: number;
  readonly importRatio: number;
}

/**
 * Every Lambda handler bundled as the stack bundles it (one minified file, the SDK inside), its size
 * and cold import beside the SDK-only floor of the same run.
 */
export async function benchFunctionBundles(
  imports: number,
  log: (line: string) => void,
): Promise<{ floor: { bytes: number; importMs: number }; rows: FunctionBundleRow[] }> {
  const root = resolve('.');
  const dir = mkdtempSync(join(tmpdir(), 'hbw-functions-'));
  try {
    const handlers = ['ingest', 'admin', 'scanner'];
    const files: string[] = [];
    const metas: Metafile[] = [];
    for (const handler of handlers) {
      const outfile = join(dir, `${handler}.js`);
      const out = await build({
        ...LAMBDA_BUILD,
        entryPoints: [join(root, `lambda/handlers/${handler}.ts`)],
        outfile,
      });
      files.push(outfile);
      metas.push(out.metafile!);
    }
    const floorFile = join(dir, 'floor.js');
    const floorBuild = await build({
      ...LAMBDA_BUILD,
      stdin: { contents: FLOOR_SOURCE, resolveDir: root, sourcefile: 'floor-handler.mjs', loader: 'js' },
      outfile: floorFile,
    });
    log(`  ${imports} cold imports of each of ${handlers.length} handlers and the floor`);
    await waitForQuiet();
    const times = timeImports([...files, floorFile], imports);
    const floor = stats(floorFile, floorBuild.metafile!, times.at(-1)!);
    const rows = handlers.map((handler, i) => {
      const s = stats(files[i]!, metas[i]!, times[i]!);
      return {
        handler,
        bytes: s.bytes,
        gzipBytes: s.gzipBytes,
        importMs: s.importMs,
        sizeRatio: s.bytes / floor.bytes,
        importRatio: s.importMs / floor.importMs,
      };
    });
    return { floor: { bytes: floor.bytes, importMs: floor.importMs }, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
