import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, connect as netConnect } from 'node:net';
import { checkServerIdentity, type PeerCertificate, rootCertificates, connect as tlsConnect } from 'node:tls';
import { clockSkewSeconds, hasSkewWarning, SKEW_WARNING_SECONDS } from '../../lambda/domain/agent';
import { endpointUrl, NetworkError, type PostAnswer, postJson } from './http-post';

/**
 * `hbw agent doctor`: the checks an operator makes when an agent cannot connect (DNS, the port, certificates,
 * the Kerberos five-minute clock rule, approval) run for real against each endpoint, each step with
 * a verdict and the fix in one sentence.
 */

export type Verdict = 'pass' | 'fail' | 'skip';
export type StepName = 'dns' | 'tcp' | 'tls' | 'http' | 'clock' | 'token' | 'approval';

const STEP_TITLES: Readonly<Record<StepName, string>> = {
  dns: 'name resolution',
  tcp: 'TCP connect',
  tls: 'TLS certificate',
  http: 'HTTP',
  clock: 'clock skew',
  token: 'token',
  approval: 'approval',
};

export interface DoctorStep {
  readonly step: StepName;
  readonly verdict: Verdict;
  readonly detail: string;
  /** What to do, in one sentence; on every failed step. */
  readonly fix?: string;
}

export interface EndpointReport {
  readonly endpoint: string;
  readonly role: 'primary' | 'failover';
  readonly steps: readonly DoctorStep[];
}

export interface DoctorReport {
  readonly agentId: string;
  /** Every step that applies passed (skipped steps do not apply, or follow a failure). */
  readonly ok: boolean;
  readonly endpoints: readonly EndpointReport[];
}

export interface DoctorInput {
  readonly agentId: string;
  readonly endpoints: readonly string[];
  /** Undefined when none was given: the token step fails and says how to give one. */
  readonly token?: string;
  /** Why the token could not be read (an unreadable token file): the token step fails with it. */
  readonly tokenProblem?: string;
  /** Where the token comes from, in words. */
  readonly tokenSource: string;
  readonly version: string;
  readonly cluster?: string;
  /** PEM certificates to trust besides the system's. */
  readonly ca?: string;
  readonly timeoutMs: number;
}

export interface DoctorDeps {
  /** The agent's clock, compared with the watcher's. */
  readonly now: () => number;
  /** @default dns.promises.lookup with all addresses */
  readonly lookup?: (host: string) => Promise<readonly string[]>;
}

const defaultLookup = async (host: string) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Runs every step against every endpoint. */
export async function runDoctor(input: DoctorInput, deps: DoctorDeps): Promise<DoctorReport> {
  const endpoints: EndpointReport[] = [];
  for (const [index, endpoint] of input.endpoints.entries()) {
    endpoints.push({
      endpoint,
      role: index === 0 ? 'primary' : 'failover',
      steps: await checkEndpoint(endpoint, input, deps),
    });
  }
  return {
    agentId: input.agentId,
    ok: endpoints.every((e) => e.steps.every((s) => s.verdict !== 'fail')),
    endpoints,
  };
}

const skip = (step: StepName, detail: string): DoctorStep => ({ step, verdict: 'skip', detail });
const pass = (step: StepName, detail: string): DoctorStep => ({ step, verdict: 'pass', detail });
const fail = (step: StepName, detail: string, fix: string): DoctorStep => ({
  step,
  verdict: 'fail',
  detail,
  fix,
});

/** Where an endpoint is, as its URL says. */
interface Target {
  readonly endpoint: string;
  /** The host name or address, without an IPv6 address's brackets. */
  readonly host: string;
  readonly secure: boolean;
  readonly port: number;
}

function targetOf(endpoint: string): Target {
  const url = new URL(endpoint);
  const secure = url.protocol === 'https:';
  return {
    endpoint,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    secure,
    port: Number(url.port || (secure ? 443 : 80)),
  };
}

/** The steps in order; a step that cannot pass makes every later one a skip that says why. */
async function checkEndpoint(endpoint: string, input: DoctorInput, deps: DoctorDeps): Promise<DoctorStep[]> {
  const target = targetOf(endpoint);
  const steps: DoctorStep[] = [];
  const later = (reason: string) => {
    for (const step of ['tcp', 'tls', 'http', 'clock', 'token', 'approval'] as const) {
      if (!steps.some((s) => s.step === step)) steps.push(skip(step, reason));
    }
    return steps;
  };

  const dns = await checkDns(target, deps);
  steps.push(dns.step);
  if (dns.addresses === undefined) return later('needs the name resolved');

  const tcp = await checkTcp(target, dns.addresses, input.timeoutMs);
  steps.push(tcp.step);
  if (tcp.address === undefined) return later('needs a TCP connection');

  const tls = await tlsStep(target, tcp.address, input, deps);
  steps.push(tls);
  if (tls.verdict === 'fail') return later('the token is not sent over a TLS connection that is not trusted');

  const http = await checkHttp(target, input, deps);
  if (http.answer === undefined) {
    steps.push(http.step);
    return later('needs an HTTP answer');
  }
  steps.push(http.step, clockStep(http.body, http.answer, http.agentNow));
  if (http.step.verdict !== 'pass') {
    steps.push(
      skip('token', 'needs an answer from the watcher'),
      skip('approval', 'needs an answer from the watcher'),
    );
    return steps;
  }
  steps.push(...tokenAndApprovalSteps(input, http.answer.status, http.body));
  return steps;
}

/** 1. Name resolution (SCOM: 21005; the DNS entry that still held the old address). */
async function checkDns(
  { endpoint, host }: Target,
  deps: DoctorDeps,
): Promise<{ step: DoctorStep; addresses?: readonly string[] }> {
  if (isIP(host))
    return { step: skip('dns', `${host} is an IP address: nothing to resolve`), addresses: [host] };
  try {
    const addresses = await (deps.lookup ?? defaultLookup)(host);
    if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
    return { step: pass('dns', `${host} resolves to ${addresses.join(', ')}`), addresses };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return {
      step: fail(
        'dns',
        `${host} does not resolve (${code})`,
        `Check the host name in ${endpoint}, and that the DNS servers of this host (/etc/resolv.conf) know it and hold its current address.`,
      ),
    };
  }
}

/**
 * 2. TCP connect to the port (SCOM: 21006, the firewall port). Each address in turn, as the agent's
 * own connection does, until one answers.
 */
async function checkTcp(
  { host, port }: Target,
  addresses: readonly string[],
  timeoutMs: number,
): Promise<{ step: DoctorStep; address?: string }> {
  const refusals: string[] = [];
  const codes: string[] = [];
  for (const candidate of addresses) {
    const tcp = await tcpConnect(candidate, port, timeoutMs);
    if (tcp.ok)
      return { step: pass('tcp', `connected to ${candidate}:${port} in ${tcp.ms} ms`), address: candidate };
    refusals.push(`${candidate}:${port} (${tcp.code})`);
    codes.push(tcp.code);
  }
  return { step: fail('tcp', `cannot connect to ${refusals.join(', ')}`, tcpFix(codes[0]!, host, port)) };
}

/** 3. TLS handshake and certificate (SCOM: 20072 and the gateway certificate problems). */
function tlsStep(target: Target, address: string, input: DoctorInput, deps: DoctorDeps): Promise<DoctorStep> {
  if (!target.secure) {
    return Promise.resolve(
      skip('tls', 'plain http: no TLS to check (use https:// for anything beyond this network)'),
    );
  }
  return checkTls(target.host, address, target.port, input.ca, deps.now(), input.timeoutMs);
}

/** What the watcher answered to the doctor's heartbeat, read as far as it can be; no answer when nothing answered. */
type HttpCheck =
  | { readonly step: DoctorStep; readonly answer?: undefined }
  | {
      readonly step: DoctorStep;
      readonly answer: PostAnswer;
      readonly body?: Record<string, unknown>;
      /** The agent's clock when the answer came. */
      readonly agentNow: number;
    };

/** 4. HTTP: one real heartbeat, which also answers the clock, the token and the approval. */
async function checkHttp(target: Target, input: DoctorInput, deps: DoctorDeps): Promise<HttpCheck> {
  const { endpoint, host, port, secure } = target;
  let answer: PostAnswer;
  try {
    answer = await postJson(
      endpointUrl(endpoint, 'v1/heartbeat'),
      {
        agentId: input.agentId,
        sentAt: new Date(deps.now()).toISOString(),
        endpoint,
        version: input.version,
        ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
      },
      { token: input.token, timeoutMs: input.timeoutMs, ca: input.ca },
    );
  } catch (error) {
    const code = error instanceof NetworkError ? error.code : String((error as Error).message);
    return {
      step: fail(
        'http',
        `no HTTP answer from ${endpoint} (${code})`,
        `Check that ${host}:${port} serves the watcher over ${secure ? 'HTTPS' : 'HTTP'} and that no proxy or firewall cuts the request.`,
      ),
    };
  }
  const agentNow = deps.now();
  const body = jsonObjectOf(answer.text);
  return { step: httpVerdict(target, answer.status, body), answer, body, agentNow };
}

function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = text ? JSON.parse(text) : undefined;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const errorOf = (body: Record<string, unknown> | undefined) =>
  body?.error as { code?: string; message?: string } | undefined;

/** Whether the answer is the watcher's: a heartbeat's answer or one of its errors. */
function httpVerdict(
  { endpoint, host, port }: Target,
  status: number,
  body?: Record<string, unknown>,
): DoctorStep {
  const errorBody = errorOf(body);
  const watcherAnswered =
    body !== undefined && (typeof body.state === 'string' || typeof errorBody?.code === 'string');
  if (status >= 500) {
    return fail(
      'http',
      `${endpoint} answered ${status}${errorBody?.message ? ` (${errorBody.message})` : ''}`,
      "Look at the watcher's logs (its ingest function in the cloud): it is reachable but failing.",
    );
  }
  if (!watcherAnswered || (status !== 200 && status !== 202 && status !== 401 && status !== 403)) {
    return fail(
      'http',
      `something answers on ${host}:${port}, but not as the watcher does (${status}${errorBody?.message ? `: ${errorBody.message}` : ''})`,
      'Check the endpoint URL: the scheme, the port and any path prefix (an API Gateway stage such as /prod) of the watcher.',
    );
  }
  return pass('http', `the watcher answered ${status}`);
}

/** 6. Token accepted. 7. Approval (pending management; SCOM: 20070). From a watcher's answer. */
function tokenAndApprovalSteps(
  input: DoctorInput,
  status: number,
  body: Record<string, unknown> | undefined,
): DoctorStep[] {
  const id = input.agentId;
  if (status === 401)
    return [refusedTokenStep(input, errorOf(body)), skip('approval', 'needs an accepted token')];
  return [
    pass('token', `the watcher accepted the token of ${id}`),
    approvalStep(id, status, typeof body?.state === 'string' ? body.state : undefined),
  ];
}

/** Why the watcher refused the token: none could be read, none was given, or it is not this agent's. */
function refusedTokenStep(input: DoctorInput, errorBody: { message?: string } | undefined): DoctorStep {
  const id = input.agentId;
  if (input.tokenProblem !== undefined) {
    return fail(
      'token',
      input.tokenProblem,
      `Make ${input.tokenSource} readable by this user, holding the token of ${id} alone.`,
    );
  }
  if (input.token === undefined) {
    return fail(
      'token',
      'no token given, so the watcher refused the heartbeat (401)',
      `Give the token with --token-file FILE or HBW_AGENT_TOKEN (an operator makes a new one with: hbw agents rotate-token ${id}).`,
    );
  }
  return fail(
    'token',
    `the watcher refused the token from ${input.tokenSource} for ${id} (401${errorBody?.message ? `: ${errorBody.message}` : ''})`,
    `Put the token of ${id} in ${input.tokenSource}; an operator makes a new one with: hbw agents rotate-token ${id}.`,
  );
}

function approvalStep(id: string, status: number, state: string | undefined): DoctorStep {
  if (status === 403) {
    return fail(
      'approval',
      `${id} was rejected by an operator: its heartbeats are refused`,
      `An operator readmits it with: hbw agents approve ${id}`,
    );
  }
  if (state === 'pending') {
    return fail(
      'approval',
      `${id} is pending approval: its heartbeats are recorded, but it is not monitored`,
      `An operator must run: hbw agents approve ${id}`,
    );
  }
  if (state === 'relayed') {
    return skip('approval', 'a relay answered: it learns the approval from the watcher with the next batch');
  }
  return pass('approval', `${id} is approved; the watcher reports it ${state}`);
}

/** 5. Clock skew against the watcher's time (within five minutes, as Kerberos and so SCOM require). */
function clockStep(
  body: Record<string, unknown> | undefined,
  answer: PostAnswer,
  agentNow: number,
): DoctorStep {
  const serverTime = typeof body?.serverTime === 'string' ? Date.parse(body.serverTime) : Number.NaN;
  const dateHeader = answer.headers.date ? Date.parse(answer.headers.date) : Number.NaN;
  const [watcherTime, source] = Number.isFinite(serverTime)
    ? [serverTime, 'serverTime']
    : Number.isFinite(dateHeader)
      ? [dateHeader, 'the Date header, to the second']
      : [Number.NaN, ''];
  if (!Number.isFinite(watcherTime))
    return skip('clock', 'the answer carries neither serverTime nor a Date header');
  const skew = clockSkewSeconds(agentNow, watcherTime);
  const apart = `${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} the watcher (${source})`;
  // More than the watcher's own skew warning is a failure: the five-minute rule SCOM has from Kerberos.
  if (hasSkewWarning(skew)) {
    return fail(
      'clock',
      `this host's clock is ${apart}: more than ${SKEW_WARNING_SECONDS / 60} minutes`,
      'Synchronise this host with the time source the watcher uses (chrony, systemd-timesyncd or w32time).',
    );
  }
  return pass('clock', `this host's clock is ${apart}: within ${SKEW_WARNING_SECONDS / 60} minutes`);
}

function tcpFix(code: string, host: string, port: number): string {
  if (code === 'ECONNREFUSED') {
    return `Start the watcher on ${host} (or correct the port in the URL): nothing listens on port ${port}.`;
  }
  if (code === 'ETIMEDOUT') {
    return `Open TCP port ${port} on the firewalls between this host and ${host}: the connection attempt got no answer.`;
  }
  return `Check the route and the firewalls between this host and ${host}, TCP port ${port}.`;
}

function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ ok: true; ms: number } | { ok: false; code: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (result: { ok: true; ms: number } | { ok: false; code: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, code: 'ETIMEDOUT' }), timeoutMs);
    socket.once('connect', () => done({ ok: true, ms: Math.round(performance.now() - started) }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, code: error.code ?? error.message }),
    );
  });
}

const DAY_MS = 86_400_000;

function namesOf(cert: PeerCertificate): string {
  const alt = cert.subjectaltname
    ?.split(/,\s*/)
    .map((n) => n.replace(/^(DNS|IP Address):/, ''))
    .join(', ');
  return alt || String(cert.subject?.CN ?? 'no name');
}

function checkTls(
  host: string,
  address: string,
  port: number,
  ca: string | undefined,
  now: number,
  timeoutMs: number,
): Promise<DoctorStep> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: address,
      port,
      servername: isIP(host) ? undefined : host,
      // Every property is judged below, so that the verdict says which one is wrong.
      rejectUnauthorized: false,
      ...(ca ? { ca: [...rootCertificates, ca] } : {}),
    });
    const done = (step: DoctorStep) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(step);
    };
    const timer = setTimeout(
      () =>
        done(
          fail(
            'tls',
            `no TLS handshake with ${address}:${port} within ${timeoutMs / 1000} s`,
            `Check that port ${port} of ${host} speaks HTTPS.`,
          ),
        ),
      timeoutMs,
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(
        fail(
          'tls',
          `the TLS handshake with ${host}:${port} failed (${error.code ?? error.message})`,
          `Check that port ${port} of ${host} speaks HTTPS (not plain HTTP) with a TLS version this host allows.`,
        ),
      ),
    );
    socket.once('secureConnect', () =>
      done(
        certificateStep(host, socket.getPeerCertificate(), {
          authorized: socket.authorized,
          authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
          now,
        }),
      ),
    );
  });
}

/** The verdict on a certificate the handshake got: its dates, its names, then whether it is trusted. */
function certificateStep(
  host: string,
  cert: PeerCertificate,
  seen: { authorized: boolean; authorizationError: string | undefined; now: number },
): DoctorStep {
  const { now } = seen;
  const validFrom = Date.parse(cert.valid_from);
  const validTo = Date.parse(cert.valid_to);
  const names = namesOf(cert);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  if (now > validTo) {
    return fail(
      'tls',
      `the certificate of ${host} expired on ${day(validTo)} (${Math.floor((now - validTo) / DAY_MS)} days ago)`,
      "Renew the watcher's certificate, and check that this host's clock is right.",
    );
  }
  if (now < validFrom) {
    return fail(
      'tls',
      `the certificate of ${host} is valid only from ${day(validFrom)}`,
      "Check this host's clock; if it is right, the certificate was issued with a start in the future.",
    );
  }
  if (checkServerIdentity(host, cert)) {
    return fail(
      'tls',
      `the certificate is for ${names}, not ${host}`,
      `Use a name the certificate covers in the endpoint URL, or reissue the certificate for ${host}.`,
    );
  }
  const trustError = seen.authorizationError;
  const dateErrors = ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'];
  if (!seen.authorized && trustError && !dateErrors.includes(trustError)) {
    return fail(
      'tls',
      `the certificate of ${host} is not trusted (${trustError})`,
      "Trust the CA that issued it: --ca-file FILE (PEM) or this host's certificate store.",
    );
  }
  const issuer = String(cert.issuer?.CN ?? cert.issuer?.O ?? 'unknown issuer');
  return pass(
    'tls',
    `valid until ${day(validTo)} (${Math.floor((validTo - now) / DAY_MS)} days left), for ${names}, issued by ${issuer}`,
  );
}

/** The report for people: one block per endpoint, one line per step, the fix under each failure. */
export function renderDoctorReport(report: DoctorReport): string {
  const lines = [
    `hbw agent doctor: agent ${report.agentId}, ${report.endpoints.length} endpoint${report.endpoints.length === 1 ? '' : 's'}`,
  ];
  const width = Math.max(...Object.values(STEP_TITLES).map((t) => t.length));
  for (const e of report.endpoints) {
    lines.push('', `${e.endpoint} (${e.role})`);
    for (const s of e.steps) {
      lines.push(`  ${s.verdict.toUpperCase()}  ${STEP_TITLES[s.step].padEnd(width)}  ${s.detail}`);
      if (s.fix) lines.push(`        ${' '.repeat(width)}  fix: ${s.fix}`);
    }
  }
  const failed = report.endpoints.flatMap((e) => e.steps).filter((s) => s.verdict === 'fail').length;
  lines.push(
    '',
    failed === 0
      ? 'every step passed'
      : `${failed} step${failed === 1 ? '' : 's'} failed: fix the first one of each endpoint first, then run hbw agent doctor again`,
  );
  return lines.join('\n');
}
