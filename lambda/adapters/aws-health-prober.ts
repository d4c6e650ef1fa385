import { type EC2Client, type InstanceStatus, paginateDescribeInstanceStatus } from '@aws-sdk/client-ec2';
import {
  type InstanceInformation,
  paginateDescribeInstanceInformation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { chunks } from '../collections';
import type { AwsProbe } from '../domain/agent';
import { awsProbeBatchSchema, type ProbeBatchAnswer } from '../domain/probe-batch';
import { checkInput, describeProblems } from '../domain/validation';
import type { ProbeResult } from '../ports';

/** The most ids one DescribeInstanceStatus call, or one InstanceIds filter, takes (both APIs' limit). */
export const MAX_IDS_PER_CALL = 100;

/** The page size of DescribeInstanceInformation: its largest (it allows 5 to 50). */
const SSM_PAGE_SIZE = 50;

type Results = Map<string, ProbeResult>;

/** A call to EC2 or Systems Manager that failed after the SDK's own retries: its ids are unknown. */
export interface FailedCall {
  readonly api: 'DescribeInstanceStatus' | 'DescribeInstanceInformation';
  /** The error's name, as the SDK gives it (`RequestLimitExceeded`, `AccessDeniedException`…). */
  readonly error: string;
  /** How many ids the call asked about. */
  readonly ids: number;
}

/** Told of each failed call of a batch. */
export type FailedCallObserver = (call: FailedCall) => void;

/** An AWS error's code, as the SDK names it (`RequestLimitExceeded`, `ThrottlingException`…). */
const errorName = (error: unknown) => (error as Error)?.name ?? String(error);

/**
 * The ping AWS answers without a path to the host, for a batch of ec2 and ssm probes: one
 * DescribeInstanceStatus call per 100 EC2 instances, one DescribeInstanceInformation per 50 managed
 * nodes (a page), each id asked once however many targets name it. An instance is up when AWS says
 * so; down when it says it is not (stopped, impaired, the SSM Agent lost); unknown when it cannot
 * tell (a failed or throttled call after the SDK's own retries, checks still initializing, an id it
 * does not know), which the scanner judges as if no probe ran: a broken call never pages host down.
 */
export class AwsHealthProber {
  constructor(private readonly clients: { readonly ec2: EC2Client; readonly ssm: SSMClient }) {}

  /** A result per target, in order; `failed` is told of each call that failed. */
  async probeAll(
    targets: readonly AwsProbe[],
    failed: FailedCallObserver = () => {},
  ): Promise<ProbeResult[]> {
    const ids = (type: AwsProbe['type']) => [
      ...new Set(targets.filter((t) => t.type === type).map((t) => t.instanceId)),
    ];
    const [ec2, ssm] = await Promise.all([this.ec2(ids('ec2'), failed), this.ssm(ids('ssm'), failed)]);
    return targets.map((t) => (t.type === 'ec2' ? ec2 : ssm).get(t.instanceId)!);
  }

  private async ec2(ids: readonly string[], failed: FailedCallObserver): Promise<Results> {
    const results: Results = new Map();
    await Promise.all(chunks(ids, MAX_IDS_PER_CALL).map((chunk) => this.ec2Chunk(chunk, results, failed)));
    return results;
  }

  /**
   * One call for up to 100 ids. EC2 refuses the whole call when one id names no instance it knows
   * (`InvalidInstanceID.NotFound`, naming the ids in its message): those are unknown, and the rest
   * are asked again.
   */
  private async ec2Chunk(
    chunk: readonly string[],
    results: Results,
    failed: FailedCallObserver,
  ): Promise<void> {
    let asking = [...chunk];
    while (asking.length > 0) {
      try {
        const found = new Map<string, InstanceStatus>();
        // IncludeAllInstances: without it EC2 describes running instances only, and a stopped one
        // would look unknown. MaxResults cannot go with InstanceIds; NextToken is followed all the same.
        const pages = paginateDescribeInstanceStatus(
          { client: this.clients.ec2 },
          { InstanceIds: asking, IncludeAllInstances: true },
        );
        for await (const page of pages)
          for (const s of page.InstanceStatuses ?? []) found.set(s.InstanceId!, s);
        for (const id of asking) {
          const status = found.get(id);
          results.set(id, status ? ec2Result(id, status) : unknown(`ec2 ${id}: EC2 did not describe it`));
        }
        return;
      } catch (error) {
        const named = new Set(
          errorName(error) === 'InvalidInstanceID.NotFound'
            ? ((error as Error).message.match(/i-[0-9a-f]+/g) ?? [])
            : [],
        );
        const missing = asking.filter((id) => named.has(id));
        if (missing.length === 0) {
          const name = errorName(error);
          failed({ api: 'DescribeInstanceStatus', error: name, ids: asking.length });
          for (const id of asking)
            results.set(id, unknown(`ec2 ${id}: DescribeInstanceStatus failed (${name})`));
          return;
        }
        for (const id of missing)
          results.set(
            id,
            unknown(`ec2 ${id}: EC2 knows no such instance (a wrong id, or terminated long ago)`),
          );
        asking = asking.filter((id) => !missing.includes(id));
      }
    }
  }

  private async ssm(ids: readonly string[], failed: FailedCallObserver): Promise<Results> {
    const results: Results = new Map();
    await Promise.all(
      chunks(ids, MAX_IDS_PER_CALL).map(async (chunk) => {
        try {
          const found = new Map<string, InstanceInformation>();
          const pages = paginateDescribeInstanceInformation(
            { client: this.clients.ssm, pageSize: SSM_PAGE_SIZE },
            { Filters: [{ Key: 'InstanceIds', Values: chunk }] },
          );
          for await (const page of pages)
            for (const info of page.InstanceInformationList ?? []) found.set(info.InstanceId!, info);
          for (const id of chunk) {
            const info = found.get(id);
            results.set(
              id,
              info ? ssmResult(id, info) : unknown(`ssm ${id}: Systems Manager knows no such managed node`),
            );
          }
        } catch (error) {
          const name = errorName(error);
          failed({ api: 'DescribeInstanceInformation', error: name, ids: chunk.length });
          for (const id of chunk)
            results.set(id, unknown(`ssm ${id}: DescribeInstanceInformation failed (${name})`));
        }
      }),
    );
    return results;
  }
}

const unknown = (detail: string): ProbeResult => ({ outcome: 'unknown', detail });

/**
 * EC2's word on one instance: up when it is running and both its status checks are ok; down when it
 * is not running, or a check is impaired; unknown while a check has no verdict (initializing after a
 * start, insufficient data).
 */
export function ec2Result(id: string, status: InstanceStatus): ProbeResult {
  const state = status.InstanceState?.Name ?? 'in no state';
  if (state !== 'running') return { outcome: 'down', detail: `ec2 ${id}: ${state}` };
  const system = status.SystemStatus?.Status ?? 'unreported';
  const instance = status.InstanceStatus?.Status ?? 'unreported';
  const impaired = [system === 'impaired' && 'system', instance === 'impaired' && 'instance'].filter(Boolean);
  if (impaired.length > 0)
    return { outcome: 'down', detail: `ec2 ${id}: ${impaired.join(' and ')} status impaired` };
  if (system === 'ok' && instance === 'ok')
    return { outcome: 'up', detail: `ec2 ${id}: running, status checks ok` };
  return unknown(`ec2 ${id}: running, system status ${system}, instance status ${instance}`);
}

/** Systems Manager's word on one managed node: up when its SSM Agent's ping is Online, down otherwise. */
export function ssmResult(id: string, info: InstanceInformation): ProbeResult {
  const ping = info.PingStatus ?? 'unreported';
  if (ping === 'Online') return { outcome: 'up', detail: `ssm ${id}: SSM Agent online` };
  const last = info.LastPingDateTime ? `, last ping ${info.LastPingDateTime.toISOString()}` : '';
  return { outcome: 'down', detail: `ssm ${id}: SSM Agent ${ping}${last}` };
}

/**
 * The AWS health prober function's answer to one invocation, from `health`. A bad event fails the
 * invocation, naming the field: the scanner then knows nothing of those targets (unknown), which is
 * the truth. Its calls that failed are answered unknown from an invocation that succeeds, so neither
 * the function's Errors nor its Throttles see them: `failed` is told of them once the batch is answered.
 */
export async function answerBatch(
  health: AwsHealthProber,
  event: unknown,
  failed: (calls: readonly FailedCall[]) => void = () => {},
): Promise<ProbeBatchAnswer> {
  const checked = checkInput(awsProbeBatchSchema, event, { subject: 'event' });
  if (!checked.ok) throw new Error(describeProblems(checked.problems));
  const calls: FailedCall[] = [];
  const results = await health.probeAll(
    checked.output.targets.map((t) => t.probe),
    (call) => calls.push(call),
  );
  if (calls.length > 0) failed(calls);
  return { results };
}
