// What ec2 probes cost a scan: a fleet of agents watched by EC2's status checks all fall late at
// once, and the scan that finds them probes every one through the cloud's path (the AWS health
// prober function, invoked in batches, asking EC2 in calls of up to 100 ids), over local stand-ins
// for Lambda and EC2. The same fleet without probes, scanned the same way in the same run, is the
// baseline of the added scan time.
import { startEmbeddedDynamo } from '../cli/embedded-dynamo';
import { ProbeRouter } from '../lambda/adapters/probe-router';
import type { RawConfig } from '../lambda/domain/config';
import { awsProberChain } from '../test/support/aws-stand-ins';
import { createScannerHarness } from '../test/support/scanner-harness';
import { embeddedClients } from '../test/support/test-store';
import { markdownTable } from './common';
import { type Machine, machineLine } from './machine';

export interface AwsProbeRow {
  readonly probed: boolean;
  readonly agents: number;
  /** The scan that found every agent late. */
  readonly scanMs: number;
  /** Probes that scan ran. */
  readonly probes: number;
  readonly invocations: number;
  readonly ec2Calls: number;
}

export const DEFAULT_AWS_PROBES = { agents: 1_000 } as const;

const CONFIG: RawConfig = {
  heartbeatIntervalSeconds: 30,
  scanIntervalSeconds: 30,
  missedScansBeforeAlert: 3,
  groups: { production: { channels: ['sms', 'email'] } },
};

/** A 17-digit instance id, one per agent. */
const instanceId = (i: number) => `i-${i.toString(16).padStart(17, '0')}`;

async function oneFleet(agents: number, probed: boolean): Promise<AwsProbeRow> {
  const dynamo = await startEmbeddedDynamo();
  const h = await createScannerHarness(embeddedClients(dynamo), { config: CONFIG });
  const running = { state: 'running', system: 'ok', instance: 'ok' };
  const chain = await awsProberChain(
    new Map(Array.from({ length: agents }, (_, i) => [instanceId(i), running])),
  );
  try {
    const scanner = h.otherScanner({
      prober: new ProbeRouter(h.prober, { kind: 'cloud', probers: {}, aws: chain.aws }),
    });
    const ids = Array.from({ length: agents }, (_, i) => `web-${String(i).padStart(5, '0')}`);
    for (const [i, agentId] of ids.entries())
      await h.addAgent(
        agentId,
        'production',
        probed ? { probe: { type: 'ec2', instanceId: instanceId(i) } } : {},
      );
    await h.beat(...ids);
    await scanner.scan();
    h.clock.advance(h.intervalMs);
    const started = performance.now();
    const report = await scanner.scan();
    const scanMs = performance.now() - started;
    return {
      probed,
      agents,
      scanMs,
      probes: report.probed,
      invocations: chain.lambda.invocations.length,
      ec2Calls: chain.ec2.calls.length,
    };
  } finally {
    await chain.close();
    h.close();
    await dynamo.close();
  }
}

/** The fleet without probes, then with an ec2 probe each, in the same run. */
export async function benchAwsProbes(agents: number, log: (line: string) => void): Promise<AwsProbeRow[]> {
  const rows: AwsProbeRow[] = [];
  for (const probed of [false, true]) {
    const row = await oneFleet(agents, probed);
    log(
      `  ${probed ? 'ec2-probed' : 'no probe'}: scan ${row.scanMs.toFixed(0)} ms, ${row.probes} probes, ${row.invocations} invocations, ${row.ec2Calls} EC2 calls`,
    );
    rows.push(row);
  }
  return rows;
}

export function renderAwsProbesMarkdown(r: {
  rows: readonly AwsProbeRow[];
  command: string;
  machine: Machine;
  elapsedSeconds: number;
}): string {
  const [bare, probed] = r.rows as [AwsProbeRow, AwsProbeRow];
  const perCall = probed.probes / Math.max(1, probed.ec2Calls);
  return [
    '## npm run bench -- --aws-probes: what ec2 probes cost a scan',
    '',
    `- Command: \`${r.command}\`, ${r.machine.date}, ${r.elapsedSeconds.toFixed(0)} s`,
    machineLine(r.machine),
    '',
    `${probed.agents.toLocaleString('en-US')} agents fall late in one scan, each with an ec2 probe of a running, healthy instance, answered`,
    "through the cloud's path: the AWS health prober function (its handler, behind a stand-in for Lambda) asking",
    'a stand-in for EC2, both on loopback. The same fleet without probes, in the same run, is the baseline.',
    '',
    markdownTable(
      ['fleet', 'scan (ms)', 'probes', 'prober invocations', 'EC2 calls'],
      r.rows.map((row) => [
        row.probed ? 'ec2-probed' : 'no probe',
        row.scanMs.toFixed(0),
        String(row.probes),
        String(row.invocations),
        String(row.ec2Calls),
      ]),
    ),
    '',
    `- AWS calls per scan: ${probed.ec2Calls} EC2 calls for ${probed.probes} probes (${perCall.toFixed(0)} probes a call), against one a probe unbatched; the goal is about 10.`,
    `- Added scan time on loopback: ${(probed.scanMs - bare.scanMs).toFixed(0)} ms (${(probed.scanMs / bare.scanMs).toFixed(2)}x the baseline).`,
    '- Why not 10 calls: the scanner judges 64 agents at a time, so the probes of one moment, and so one',
    '  invocation and its EC2 call, hold at most 64 targets (a call takes 100). In the cloud each of these',
    '  invocations also waits for Lambda and EC2 over the network, one after another.',
  ].join('\n');
}
