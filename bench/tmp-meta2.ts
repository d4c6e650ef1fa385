import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../lib/lambda-bundling';

(async () => {
  const h = process.argv[2];
  const r = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    entryPoints: [`lambda/handlers/${h}.ts`],
    write: false,
    metafile: true,
    outfile: `/tmp/${h}.mjs`,
    sourcemap: false,
  });
  const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint)!;
  for (const [k, v] of Object.entries(out.inputs)
    .filter(([k]) => !k.includes('node_modules') || k.includes('hono') || k.includes('valibot'))
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 40))
    console.log('  ', k, v.bytesInOutput);
})();
