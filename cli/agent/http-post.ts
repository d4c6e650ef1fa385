import http from 'node:http';
import type https from 'node:https';

/** Why a request got no HTTP answer, in the words an operator troubleshooting an agent uses. */
export type NetworkReason = 'dns' | 'connect' | 'timeout' | 'tls';

/** A request that got no HTTP answer: the name did not resolve, the connection failed, TLS failed. */
export class NetworkError extends Error {
  constructor(
    readonly reason: NetworkReason,
    /** The system's code: ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED, ETIMEDOUT... */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/** Sorts an error of `http.request` into a {@link NetworkReason}. */
export function classifyNetworkError(error: unknown): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = String((error as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN');
  const message = (error as Error)?.message ?? String(error);
  let reason: NetworkReason = 'connect';
  if (DNS_CODES.has(code)) reason = 'dns';
  else if (TLS_CODES.has(code) || /^(CERT_|ERR_TLS_|ERR_SSL_)/.test(code)) reason = 'tls';
  else if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') reason = 'timeout';
  return new NetworkError(reason, code, message, { cause: error });
}

export interface PostOptions {
  /** Sent as `Authorization: Bearer ...`; never logged. */
  readonly token?: string;
  /** The whole request, connect to last byte. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** A keep-alive agent for repeated requests; by default one connection per request. */
  readonly agent?: http.Agent;
  /** PEM certificates to trust besides the system's (a private CA). */
  readonly ca?: string;
}

export interface PostAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** An answer body is read up to this size; a watcher's answers are far smaller. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** Trusted roots plus `ca`, built once per distinct `ca`. */
const caCache = new Map<string, string[]>();
function trusted(ca: string, rootCertificates: readonly string[]): string[] {
  let list = caCache.get(ca);
  if (!list) {
    list = [...rootCertificates, ca];
    caCache.set(ca, list);
  }
  return list;
}

/**
 * `request` of node:https (with the trusted roots plus `ca`), or of node:http. node:https and node:tls
 * load on the first https:// request only: an agent that talks plain http (to a relay, to `hbw local`)
 * never pays their memory (about 1.4 MiB).
 */
async function clientFor(
  secure: boolean,
  ca: string | undefined,
): Promise<{ request: typeof http.request; options: https.RequestOptions }> {
  if (!secure) return { request: http.request, options: {} };
  const [https, tls] = await Promise.all([import('node:https'), import('node:tls')]);
  return { request: https.request, options: ca ? { ca: trusted(ca, tls.rootCertificates) } : {} };
}

/**
 * POSTs `body` as JSON to `url` with node:http or node:https (no fetch: its client costs the agent
 * about 10 MB of memory). Answers any HTTP answer; throws a {@link NetworkError} when there is none,
 * and the signal's reason when aborted.
 */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<PostAnswer> {
  const target = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': payload.length,
    accept: 'application/json',
  };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const client = await clientFor(target.protocol === 'https:', options.ca);
  return new Promise<PostAnswer>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason);
      return;
    }
    let settled = false;
    const finish = (error: unknown, answer?: PostAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (answer) resolve(answer);
      else reject(error);
    };
    const requestOptions: https.RequestOptions = {
      method: 'POST',
      headers,
      agent: options.agent ?? false,
      ...client.options,
    };
    const req = client.request(target, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', (error) => finish(classifyNetworkError(error)));
    });
    const timer = setTimeout(() => {
      const error = new NetworkError(
        'timeout',
        'ETIMEDOUT',
        `no answer within ${Math.round(options.timeoutMs / 100) / 10} s`,
      );
      finish(error);
      req.destroy(error);
    }, options.timeoutMs);
    const onAbort = () => {
      finish(options.signal?.reason);
      req.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => finish(classifyNetworkError(error)));
    req.end(payload);
  });
}

/** `path` below `base`, keeping a path prefix of `base` (an API Gateway stage such as `/prod`). */
export function endpointUrl(base: string, path: string): string {
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`).toString();
}
