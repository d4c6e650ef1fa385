import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../lib/lambda-bundling';

(async () => {
  for (const h of process.argv.slice(2)) {
    const r = await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [`lambda/handlers/${h}.ts`],
      write: false,
      metafile: true,
      outfile: `/tmp/${h}.mjs`,
      sourcemap: false,
    });
    const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint)!;
    const byPkg = new Map<string, number>();
    for (const [path, v] of Object.entries(out.inputs)) {
      const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const key = m ? m[1]! : path.split('/').slice(0, 2).join('/');
      byPkg.set(key, (byPkg.get(key) ?? 0) + v.bytesInOutput);
    }
    console.log(h, out.bytes);
    for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log('  ', k, v);
  }
})();
