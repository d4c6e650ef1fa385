import { connect } from 'node:net';
import { describeProbe, type NetProbe } from '../domain/agent';
import type { ProbeSettings } from '../domain/config';
import type { ProbeResult, Prober } from '../ports';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tcpOnce(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (failure: string | undefined) => {
      socket.destroy();
      resolve(failure);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer in ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

async function httpOnce(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status < 500 ? undefined : `HTTP ${res.status}`;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return e.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : (e.cause?.code ?? e.message);
  }
}

/**
 * The ping, as SCOM does it, over TCP or HTTP: up to `attempts` tries, each with `timeoutMs`, spaced by
 * `intervalMs`. The host answers when any try does; an `http` probe passes on any status below 500.
 */
export class NetProber implements Prober<NetProbe> {
  async probe(target: NetProbe, settings: ProbeSettings): Promise<ProbeResult> {
    const label = describeProbe(target);
    let failure: string | undefined;
    for (let attempt = 1; attempt <= settings.attempts; attempt++) {
      failure =
        target.type === 'tcp'
          ? await tcpOnce(target.host, target.port, settings.timeoutMs)
          : await httpOnce(target.url, settings.timeoutMs);
      if (failure === undefined) return { outcome: 'up', detail: `${label} answered` };
      if (attempt < settings.attempts) await sleep(settings.intervalMs);
    }
    return { outcome: 'down', detail: `${label} failed ${settings.attempts}x: ${failure}` };
  }
}
