import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { DEFAULT_CONFIG, parseConfig } from '../lambda/domain/config';
import { enrollmentSettings } from '../lambda/domain/enrollment-settings';
import { heartbeatSettings } from '../lambda/domain/heartbeat-settings';
import { LAMBDA_ESBUILD_OPTIONS } from '../lib/lambda-bundling';
import { median } from './common';
import { waitForQuiet } from './machine';

export interface BundleOptions {
  /** Fresh `node` processes per bundle; the median is reported. */
  readonly imports: number;
}

export const DEFAULT_BUNDLE: BundleOptions = { imports: 20 };

export interface BundleStats {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Median time of `require(bundle)` inside a fresh process. */
  readonly importMs: number;
  /** The fastest of them: what the import costs when nothing else gets in the way. */
  readonly importMinMs: number;
  /** Median wall time of the whole `node -e "require(bundle)"` process, start to exit. */
  readonly processMs: number;
  /** Bytes in the output by package (`@aws-sdk/client-dynamodb`, `hono`, `(project)`...). */
  readonly byPackage: Record<string, number>;
}

export interface BundleVariant {
  readonly name: string;
  readonly description: string;
  readonly ingest: BundleStats;
  readonly floor: BundleStats;
  readonly sizeRatio: number;
  readonly gzipRatio: number;
  readonly importRatio: number;
  /** Median of ingest/floor over the pairs of imports run back to back (steadier when the machine is busy). */
  readonly importPairRatio: number;
  readonly importMinRatio: number;
  readonly processRatio: number;
}

export interface BundleResult {
  readonly options: BundleOptions;
  /** The environment variables the imports ran with. */
  readonly env: string[];
  /** The build the functions deploy first, then the build before it, all timed in one run. */
  readonly variants: BundleVariant[];
  /** The ingest bundle's cold import as deployed over the same bundle built the way before (cjs, defaults). */
  readonly importVsBefore: number;
  /** The same, the median of the ratios of imports run back to back. */
  readonly importPairVsBefore: number;
  /** The floor's cold import as deployed over the floor built the way before: the SDK's own share of the change. */
  readonly floorImportVsBefore: number;
  /**
   * The ingest build of the day issue 15 was filed (`ISSUE_DAY`), and the ingest bundle's cold import
   * as deployed over it; absent when this clone lacks that commit.
   */
  readonly issueDay?: {
    readonly rev: string;
    readonly stats: BundleStats;
    readonly importVsDeployed: number;
  };
}

/** The least a heartbeat Lambda could be: the DynamoDB client and one UpdateItem. */
export const FLOOR_SOURCE = `
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async (event) => {
  const body = JSON.parse(event.body);
  await client.send(new UpdateItemCommand({
    TableName: process.env.AGENTS_TABLE,
    Key: { agentId: { S: body.agentId } },
    UpdateExpression: 'SET #at = :at',
    ExpressionAttributeNames: { '#at': 'lastHeartbeatAt' },
    ExpressionAttributeValues: { ':at': { N: String(Date.now()) } },
  }));
  return { statusCode: 200, body: '{}' };
};
`;

/** What the functions' cold starts need in their environment (values only, nothing is called). */
export const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'hbw-bench-ingest',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AGENTS_TABLE: 'hbw-agents',
  ALERTS_TABLE: 'hbw-alerts',
  STATE_TABLE: 'hbw-state',
  HBW_CONFIG: JSON.stringify(DEFAULT_CONFIG),
  HBW_HEARTBEAT_SETTINGS: JSON.stringify(heartbeatSettings(parseConfig(DEFAULT_CONFIG))),
  HBW_ENROLLMENT_SETTINGS: JSON.stringify(enrollmentSettings(parseConfig(DEFAULT_CONFIG))),
  STACK_NAME: 'hbw-bench',
  TOPIC_ARNS: JSON.stringify({ production: 'arn:aws:sns:us-east-1:123456789012:hbw-bench-production' }),
  HBW_AWS_PROBER: 'hbw-bench-aws-prober',
};

/** How the stack bundles the functions (lib/lambda-bundling.ts), with what the bench reads of a build. */
export const LAMBDA_BUILD: BuildOptions = {
  ...LAMBDA_ESBUILD_OPTIONS,
  metafile: true,
  write: true,
  logLevel: 'warning',
  define: { __HBW_VERSION__: JSON.stringify('bench') },
};

const VARIANTS: { name: string; description: string; options: BuildOptions; ext: string }[] = [
  {
    name: 'esm, ESM-first (as deployed)',
    description:
      'format esm, main fields `module,main`, target node24, minified: `LAMBDA_BUNDLING` of lib/lambda-bundling.ts, what the stack deploys (the AWS SDK v3 docs recommend it for bundling: the SDK ES modules tree-shake)',
    options: {},
    ext: 'mjs',
  },
  {
    name: 'cjs, esbuild defaults (the build before)',
    description:
      'format cjs, main fields `main,module` (esbuild defaults for platform node, and what CDK NodejsFunction uses unless told otherwise): how the functions were bundled before issue 15, the same sources built that way in the same run',
    options: { format: 'cjs', mainFields: ['main', 'module'] },
    ext: 'js',
  },
];

/**
 * The ingest function as it was built the day issue 15 was filed, which its goal "cold import at most
 * 0.65x today's build" names ("597 KB and 99 ms today"): the sources of the commit before its build
 * change (cb9bec7, the parent of 23580b3), built as the functions and the bench built them then (cjs,
 * esbuild's default main fields, target node22, minified). Read from git; a clone without that
 * commit (a shallow one) measures without it.
 */
export const ISSUE_DAY = {
  rev: 'cb9bec7',
  options: { format: 'cjs', target: 'node22', mainFields: ['main', 'module'] } satisfies BuildOptions,
};

interface Built {
  readonly ingestFile: string;
  readonly floorFile: string;
  readonly ingest: Metafile;
  readonly floor: Metafile;
}

/** Each variant of `VARIANTS`: the ingest handler and the floor, built its way into `dir`. */
async function buildVariants(root: string, dir: string, log: (line: string) => void): Promise<Built[]> {
  const built: Built[] = [];
  for (const [index, variant] of VARIANTS.entries()) {
    log(`  ${variant.name}: bundling`);
    const out = join(dir, String(index));
    mkdirSync(out);
    const ingestFile = join(out, `ingest.${variant.ext}`);
    const floorFile = join(out, `floor.${variant.ext}`);
    const ingestBuild = await build({
      ...LAMBDA_BUILD,
      ...variant.options,
      entryPoints: [join(root, 'lambda/handlers/ingest.ts')],
      outfile: ingestFile,
    });
    const floorBuild = await build({
      ...LAMBDA_BUILD,
      ...variant.options,
      stdin: { contents: FLOOR_SOURCE, resolveDir: root, sourcefile: 'floor-handler.mjs', loader: 'js' },
      outfile: floorFile,
    });
    built.push({ ingestFile, floorFile, ingest: ingestBuild.metafile!, floor: floorBuild.metafile! });
  }
  return built;
}

/** The ingest handler of `ISSUE_DAY`, its sources read from git into `dir`; `undefined` without them. */
async function buildIssueDay(
  root: string,
  dir: string,
  log: (line: string) => void,
): Promise<{ file: string; metafile: Metafile } | undefined> {
  const sources = join(dir, 'issue-day');
  mkdirSync(sources);
  const archive = spawnSync(
    'sh',
    ['-c', `git archive ${ISSUE_DAY.rev} lambda agent package.json | tar -x -C "${sources}"`],
    { cwd: root, encoding: 'utf8' },
  );
  if (archive.status !== 0) {
    log(
      `  the ingest build of ${ISSUE_DAY.rev}: not measured, its sources are not here (${archive.stderr.trim()})`,
    );
    return undefined;
  }
  log(`  the ingest build of ${ISSUE_DAY.rev} (the day issue 15 was filed): bundling`);
  symlinkSync(join(root, 'node_modules'), join(sources, 'node_modules'), 'dir');
  const file = join(dir, 'issue-day.js');
  const out = await build({
    ...LAMBDA_BUILD,
    ...ISSUE_DAY.options,
    entryPoints: [join(sources, 'lambda/handlers/ingest.ts')],
    outfile: file,
  });
  return { file, metafile: out.metafile! };
}

/**
 * Bundles lambda/handlers/ingest.ts and the floor each way of `VARIANTS`, and the ingest handler of
 * the day issue 15 was filed, then measures size and the cold import of each in fresh processes,
 * taking turns so that all see the same machine noise.
 */
export async function benchIngestBundle(
  options: BundleOptions,
  log: (line: string) => void = () => {},
): Promise<BundleResult> {
  const root = resolve('.');
  const dir = mkdtempSync(join(tmpdir(), 'hbw-bundle-'));
  try {
    const built = await buildVariants(root, dir, log);
    const issueDay = await buildIssueDay(root, dir, log);
    const files = [
      ...built.flatMap((b) => [b.ingestFile, b.floorFile]),
      ...(issueDay ? [issueDay.file] : []),
    ];
    log(`  ${options.imports} cold imports of each of the ${files.length} bundles, taking turns`);
    await waitForQuiet();
    const times = timeImports(files, options.imports);
    const variants = VARIANTS.map((variant, i): BundleVariant => {
      const [ingestTimes, floorTimes] = [times[2 * i]!, times[2 * i + 1]!];
      const ingest = stats(built[i]!.ingestFile, built[i]!.ingest, ingestTimes);
      const floor = stats(built[i]!.floorFile, built[i]!.floor, floorTimes);
      return {
        name: variant.name,
        description: variant.description,
        ingest,
        floor,
        sizeRatio: ingest.bytes / floor.bytes,
        gzipRatio: ingest.gzipBytes / floor.gzipBytes,
        importRatio: ingest.importMs / floor.importMs,
        importPairRatio: median(ingestTimes.importMs.map((ms, k) => ms / floorTimes.importMs[k]!)),
        importMinRatio: ingest.importMinMs / floor.importMinMs,
        processRatio: ingest.processMs / floor.processMs,
      };
    });
    const [deployed, before] = [times[0]!.importMs, times[2]!.importMs];
    const issueDayStats = issueDay && stats(issueDay.file, issueDay.metafile, times[files.length - 1]!);
    return {
      options,
      env: Object.keys(LAMBDA_ENV),
      variants,
      importVsBefore: median(deployed) / median(before),
      importPairVsBefore: median(deployed.map((ms, k) => ms / before[k]!)),
      floorImportVsBefore: variants[0]!.floor.importMs / variants[1]!.floor.importMs,
      issueDay: issueDayStats && {
        rev: ISSUE_DAY.rev,
        stats: issueDayStats,
        importVsDeployed: median(deployed) / issueDayStats.importMs,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function stats(
  file: string,
  metafile: Metafile,
  times: { importMs: number[]; processMs: number[] },
): BundleStats {
  const content = readFileSync(file);
  return {
    bytes: statSync(file).size,
    gzipBytes: gzipSync(content, { level: 9 }).length,
    importMs: median(times.importMs),
    importMinMs: Math.min(...times.importMs),
    processMs: median(times.processMs),
    byPackage: bytesByPackage(metafile),
  };
}

/**
 * Loads each file `n` times, each in a fresh node, round-robin; one discarded round first. A `.mjs`
 * is imported, anything else required, as Lambda's Node runtime loads them.
 */
export function timeImports(files: string[], n: number): { importMs: number[]; processMs: number[] }[] {
  const out = files.map(() => ({ importMs: [] as number[], processMs: [] as number[] }));
  for (let round = -1; round < n; round++) {
    for (const [i, file] of files.entries()) {
      const load = file.endsWith('.mjs')
        ? `await import(${JSON.stringify(pathToFileURL(file).href)})`
        : `require(${JSON.stringify(file)})`;
      const script = `(async()=>{const t=process.hrtime.bigint();${load};process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))})()`;
      const t0 = process.hrtime.bigint();
      const run = spawnSync(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const processMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (run.status !== 0) {
        // The last lines say why; the first ones quote a line of the minified bundle, which is long.
        const why = run.stderr.trim().split('\n').slice(-12).join('\n');
        throw new Error(`loading ${file} failed (${run.status ?? run.signal}): ${why}`);
      }
      if (round < 0) continue;
      out[i]!.importMs.push(Number(run.stdout));
      out[i]!.processMs.push(processMs);
    }
  }
  return out;
}

/** Sums each input's bytes in the output by the package it comes from. */
export function bytesByPackage(metafile: Metafile): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = packageOf(path);
      totals[key] = (totals[key] ?? 0) + bytesInOutput;
    }
  }
  return totals;
}

function packageOf(path: string): string {
  const packages = [...path.replaceAll('\\', '/').matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  const innermost = packages.at(-1)?.[1];
  if (innermost !== undefined) return innermost;
  return path.startsWith('<stdin>') || path.includes('floor-handler') ? '(floor handler)' : '(project)';
}
