// The benchmark runner: `npm run bench` (build, then `node --expose-gc dist/bench.js`).
// Runs each benchmark, prints a table and rewrites its section of docs/BENCHMARKS.md. Not part of
// `npm test`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { benchAwsProbes, DEFAULT_AWS_PROBES, renderAwsProbesMarkdown } from './aws-probes';
import { NUMBERS_PAGE, numberFlag, runCommand, writeNumbers } from './common';
import { benchFunctionBundles } from './function-bundles';
import { benchHttpIngest, DEFAULT_INGEST, type IngestOptions, isLoadJob, runLoadJob } from './http-ingest';
import { benchIngestBundle, DEFAULT_BUNDLE } from './ingest-bundle';
import { benchLambdaCpu, DEFAULT_LAMBDA_CPU } from './lambda-cpu';
import { describeMachine } from './machine';
import { benchBothAgents, DEFAULT_MORE, runMore } from './more';
import { benchReads, DEFAULT_READS, renderReadsMarkdown } from './reads';
import {
  type BenchResults,
  renderAgentsMarkdown,
  renderBundlesMarkdown,
  renderMarkdown,
  renderTable,
} from './report';
import { benchRequestsPerHeartbeat } from './requests-per-heartbeat';

const COMMAND = 'npm run bench';

const USAGE = `Usage: npm run bench -- [options]

Runs every benchmark (about 3 minutes), prints the summary table and rewrites its section of
${NUMBERS_PAGE}; or, with one of --agents, --reads, --aws-probes or --bundles, that section alone.

Options:
  --seconds N           length of each local ingest run (default ${DEFAULT_INGEST.seconds})
  --imports N           cold imports timed per bundle (default ${DEFAULT_BUNDLE.imports})
  --scan-agents N       one scan size in place of the default ones
  --agent-seconds N     length of each agent's run (default ${DEFAULT_MORE.agentSeconds})
  --agents              the two agents' footprint alone
  --reads               read units per status and console refresh alone
  --read-agents N       the fleet of --reads (default ${DEFAULT_READS.agents})
  --aws-probes          what ec2 probes cost a scan, alone
  --aws-probe-agents N  the fleet of --aws-probes (default ${DEFAULT_AWS_PROBES.agents})
  --bundles             every Lambda bundle beside its floor alone (steps 3 and 6, under a minute)
  --no-write            print only; leave ${NUMBERS_PAGE} as it is
  --help                this text
`;

async function main(argv: string[]): Promise<number> {
  const seconds = numberFlag(argv, '--seconds');
  const imports = numberFlag(argv, '--imports');
  const dryRun = argv.includes('--no-write');
  const ingest: IngestOptions = { ...DEFAULT_INGEST, ...(seconds === undefined ? {} : { seconds }) };
  const bundle = { ...DEFAULT_BUNDLE, ...(imports === undefined ? {} : { imports }) };
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const machine = describeMachine();
  // As typed: npm hands the flags after -- to the runner.
  const command = [COMMAND, ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');

  const header = () => ({ command, elapsedSeconds: (Date.now() - started) / 1000, machine });
  /** A section run alone: printed, and written into its part of the numbers page unless --no-write. */
  const report = (section: string, markdown: string) => {
    process.stdout.write(`${markdown}\n`);
    if (!dryRun) writeNumbers(section, markdown);
    return 0;
  };

  const agentSeconds = numberFlag(argv, '--agent-seconds');
  if (argv.includes('--agents')) {
    log(`the two agents (${agentSeconds ?? DEFAULT_MORE.agentSeconds} s each at a 1 s interval)`);
    const agents = await benchBothAgents(agentSeconds ?? DEFAULT_MORE.agentSeconds);
    return report('bench agents', renderAgentsMarkdown({ ...header(), ...agents }));
  }
  if (argv.includes('--reads')) {
    const agents = numberFlag(argv, '--read-agents') ?? DEFAULT_READS.agents;
    log(`read units per status and console refresh at ${agents} agents`);
    const reads = await benchReads(agents, log);
    return report('bench reads', renderReadsMarkdown({ ...header(), ...reads }));
  }
  if (argv.includes('--aws-probes')) {
    const agents = numberFlag(argv, '--aws-probe-agents') ?? DEFAULT_AWS_PROBES.agents;
    log(`what ec2 probes cost a scan of ${agents} late agents`);
    const rows = await benchAwsProbes(agents, log);
    return report('bench aws probes', renderAwsProbesMarkdown({ ...header(), rows }));
  }
  if (argv.includes('--bundles')) {
    log('the ingest bundle beside the build before, then every Lambda bundle beside its floor');
    const bundleResult = await benchIngestBundle(bundle, log);
    const functions = await benchFunctionBundles(imports ?? DEFAULT_MORE.imports, log);
    return report('bench bundles', renderBundlesMarkdown({ ...header(), bundle: bundleResult, functions }));
  }
  const scanAgents = numberFlag(argv, '--scan-agents');
  log('1/9 DynamoDB requests per heartbeat');
  const requests = await benchRequestsPerHeartbeat();
  gc();
  log('2/9 local ingest over HTTP');
  const http = await benchHttpIngest(ingest, log);
  gc();
  log('3/9 ingest Lambda bundle');
  const bundleResult = await benchIngestBundle(bundle, log);
  gc();
  log('3/9 ingest Lambda CPU per heartbeat, cacheMiddleware on and off');
  const lambdaCpu = await benchLambdaCpu(DEFAULT_LAMBDA_CPU, log);
  gc();
  const more = await runMore(
    {
      ...DEFAULT_MORE,
      ...(agentSeconds === undefined ? {} : { agentSeconds }),
      ...(scanAgents === undefined ? {} : { scanSizes: [scanAgents] }),
    },
    log,
    lambdaCpu.cachedMs,
  );

  const results: BenchResults = {
    command,
    machine,
    elapsedSeconds: (Date.now() - started) / 1000,
    requests,
    http,
    bundle: bundleResult,
    lambdaCpu,
    more,
  };
  process.stdout.write(`${renderTable(results)}\n`);
  if (dryRun) {
    log(`--no-write: ${NUMBERS_PAGE} left as it was`);
  } else {
    writeNumbers('bench', renderMarkdown(results));
    log(`wrote its section of ${NUMBERS_PAGE}`);
  }
  return 0;
}

/** Collects garbage between benchmarks when node runs with --expose-gc, so one does not pay for another. */
function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

if (isMainThread) {
  runCommand('bench', USAGE, main);
} else if (isLoadJob(workerData)) {
  void runLoadJob(workerData, (message) => parentPort!.postMessage(message));
}
