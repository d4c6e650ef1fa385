// The signing packages load only when a request is signed: commands that never sign (the agent,
// local mode) stay light.
import type { ErrorAnswer } from '../lambda/api/contract';
import { isLoopbackHost } from '../lambda/http/hosts';

/** An error answer of the watcher's API (or of API Gateway in front of it), with what it said. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The watcher could not be reached at all. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** No AWS credentials could be loaded to sign requests with; the message says how to configure them. */
export class CredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

/** Requests must be signed but cannot be (no region known, a bad HBW_SIGN): a usage problem. */
export class SigningSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningSetupError';
  }
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/** The SigV4 service name of API Gateway's invoke endpoints (IAM-authorized routes). */
const SIGNING_SERVICE = 'execute-api';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

/** A request about to be sent, as a signer sees it. */
export interface OutgoingRequest {
  readonly method: string;
  /** The URL it goes to, query included, exactly as it will be sent. */
  readonly url: URL;
  /** The headers to authenticate, with lowercase names (the `host` is taken from `url`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Authenticates requests to a watcher: answers the headers to send, its own ones added. */
export interface RequestSigner {
  sign(request: OutgoingRequest): Promise<Record<string, string>>;
}

export interface SigV4SignerProps {
  /** The region the API is deployed in (the credential scope's region). */
  readonly region: string;
  readonly credentials: CredentialsProvider;
  /** Named in the error when no credentials are found. */
  readonly endpoint: string;
  /** Where the credentials were looked for, when that is worth saying: `the profile "ops" ...`. */
  readonly credentialsSource?: string;
  /** @default 'execute-api' */
  readonly service?: string;
  /** The signing time. @default the system clock */
  readonly now?: () => Date;
}

const firstLine = (text: string) => (text.split('\n')[0] ?? '').trim().slice(0, 200);

/**
 * Signs requests with AWS Signature Version 4 (`SignatureV4` of @smithy/signature-v4, the SDK's own
 * signer), for API Gateway's IAM authorization. The body's SHA-256 is part of the signature.
 */
class SigV4Signer implements RequestSigner {
  constructor(private readonly props: SigV4SignerProps) {}

  async sign(request: OutgoingRequest): Promise<Record<string, string>> {
    let credentials: AwsCredentials;
    try {
      credentials = await this.props.credentials();
      if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
        throw new Error('the credentials found have no access key id or secret access key');
      }
    } catch (error) {
      // The provider's message names the sources it tried; it carries no secret. Only its first line.
      throw new CredentialsError(
        `no AWS credentials to sign requests to ${this.props.endpoint}${this.props.credentialsSource ? ` in ${this.props.credentialsSource}` : ''} (${firstLine((error as Error)?.message ?? String(error))}). ` +
          'Configure them with "aws configure" (or "aws sso login" for IAM Identity Center), choose a profile with ' +
          'AWS_PROFILE=NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)',
        { cause: error },
      );
    }
    const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
      import('@smithy/signature-v4'),
      import('@aws-crypto/sha256-js'),
    ]);
    const signer = new SignatureV4({
      service: this.props.service ?? SIGNING_SERVICE,
      region: this.props.region,
      credentials,
      sha256: Sha256,
      // The payload hash goes into the signature; API Gateway computes it from the body it received.
      applyChecksum: false,
    });
    const { url } = request;
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: queryOf(url),
        // fetch sends `Host: url.host`, the value signed here.
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      { signingDate: this.props.now?.() ?? new Date() },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers as Record<string, string>)) {
      if (name.toLowerCase() !== 'host') headers[name] = value;
    }
    return headers;
  }
}

/** RFC 3986 encoding, as SigV4's canonical query string has it (also `!'()*`). */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The query of `url` as the signer takes it: decoded, a list for a repeated name. */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/**
 * Rewrites the query of `url` in RFC 3986 encoding, order kept: what is sent is then exactly what
 * the signature covers (no `+` for a space that a server could read either way).
 */
function strictQuery(url: URL): void {
  url.search = [...url.searchParams].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

/** A raw answer, for a proxy: the body as text, header names in lowercase. */
export interface ForwardResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface WatcherClientOptions {
  /** Signs every request (a deployed watcher behind API Gateway); the admin token is then not sent. */
  readonly signer?: RequestSigner;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
}

/** Headers the client sets itself, or that belong to one connection: a caller's are dropped. */
const OWN_HEADERS = new Set([
  'authorization',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'expect',
]);
/** Headers signed along with the signature's own; any other a caller passes is sent unsigned. */
const SIGNED_HEADERS = new Set(['accept', 'content-type']);
/** Answer headers a proxy must not pass on: fetch has already decoded and measured the body. */
const SPENT_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection']);

/** Calls the admin API of one watcher: a local one over plain HTTP, or a deployed one, signed. */
export class WatcherClient {
  private readonly signer?: RequestSigner;
  private readonly fetch: typeof fetch;

  constructor(
    readonly endpoint: string,
    private readonly adminToken?: string,
    options: WatcherClientOptions = {},
  ) {
    this.signer = options.signer;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Whether requests are signed with SigV4 (a deployed watcher). */
  get signed(): boolean {
    return this.signer !== undefined;
  }

  /** Calls `path` with `body` as JSON; answers the parsed answer, or throws `ApiError`. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
    let parsed: unknown;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      throw new ApiError(
        res.status,
        'bad_answer',
        `the watcher answered ${res.status} with something that is not JSON`,
      );
    }
    if (res.status < 200 || res.status > 299) throw this.errorOf(res.status, parsed);
    return parsed as T;
  }

  /**
   * Sends one request as it is and answers status, headers and body as text, whatever the status:
   * for the console's proxy. Signed (or given the admin token) like `request`. `headers` may hold
   * what the browser sent: `authorization`, `host`, `content-length` and hop-by-hop headers are
   * replaced by the client's own; the answer leaves out `content-encoding` and `content-length`
   * (the body is already decoded).
   */
  async forward(
    method: string,
    pathAndQuery: string,
    body?: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<ForwardResponse> {
    return this.send(method, pathAndQuery, body, headers);
  }

  private urlFor(pathAndQuery: string): URL {
    const base = new URL(this.endpoint);
    if (!pathAndQuery.startsWith('/') || pathAndQuery.startsWith('//')) {
      throw new TypeError(`a path of the watcher's API starts with one "/": "${pathAndQuery}"`);
    }
    // An endpoint with a path (a stage, a custom domain's mapping) keeps it in front of the route.
    const url = new URL(base.pathname.replace(/\/+$/, '') + pathAndQuery, base.origin);
    if (url.origin !== base.origin) {
      throw new TypeError(`"${pathAndQuery}" leads away from ${this.endpoint}`);
    }
    return url;
  }

  private async send(
    method: string,
    pathAndQuery: string,
    body: string | undefined,
    given: Readonly<Record<string, string>>,
  ): Promise<ForwardResponse> {
    const url = this.urlFor(pathAndQuery);
    const signable: Record<string, string> = {};
    const unsigned: Record<string, string> = {};
    for (const [name, value] of Object.entries(given)) {
      const lower = name.toLowerCase();
      if (OWN_HEADERS.has(lower) || (this.signer && lower.startsWith('x-amz-'))) continue;
      (SIGNED_HEADERS.has(lower) ? signable : unsigned)[lower] = value;
    }
    let headers: Record<string, string>;
    if (this.signer) {
      strictQuery(url);
      headers = { ...unsigned, ...(await this.signer.sign({ method, url, headers: signable, body })) };
    } else {
      headers = { ...unsigned, ...signable };
      if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    }
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(url, { method, headers, body });
      text = await res.text();
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new UnreachableError(
        `cannot reach the watcher at ${this.endpoint} (${reason}): is it running? Start one with "npm start" or point --endpoint / HBW_ENDPOINT at yours`,
        { cause: error },
      );
    }
    const answerHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!SPENT_HEADERS.has(name)) answerHeaders[name] = value;
    });
    return { status: res.status, headers: answerHeaders, body: text };
  }

  private errorOf(status: number, parsed: unknown): ApiError {
    // The watcher's error answer, or API Gateway's own (below); either may be missing its fields.
    const answer = parsed as
      | { error?: Partial<ErrorAnswer['error']>; message?: unknown; Message?: unknown }
      | undefined;
    const err = answer?.error;
    if (err && typeof err === 'object') {
      return new ApiError(status, err.code ?? 'http_error', err.message ?? `HTTP ${status}`, err.field);
    }
    // API Gateway answers for itself with {"message": "..."} ({"Message": ...} for IAM denials).
    const gateway = answer?.message ?? answer?.Message;
    if (typeof gateway === 'string') return gatewayError(status, gateway, this.signed);
    return new ApiError(status, 'http_error', `HTTP ${status}`);
  }
}

/**
 * API Gateway's own refusal, explained. Only the first sentence of its message is kept: a REST API's
 * signature-mismatch message goes on with the canonical request, which holds the session token.
 */
export function gatewayError(status: number, message: string, signed: boolean): ApiError {
  const said = firstLine(message).replace(/\s*The Canonical String.*$/i, '');
  const because = (text: string) =>
    new ApiError(status, 'gateway', `API Gateway refused the request: ${text}`);
  if (/signature we calculated does not match/i.test(said)) {
    return because(
      'the signature does not match ("The request signature we calculated does not match the signature you provided"). ' +
        'The secret access key does not belong to the access key id in use, or something between changed the request. ' +
        'Check which credentials are used with "aws sts get-caller-identity" (and AWS_PROFILE), then try again',
    );
  }
  if (/signature (expired|not yet current)/i.test(said)) {
    return because(
      `"${said}": this machine's clock is more than 5 minutes off; set it right (NTP) and try again`,
    );
  }
  if (/security token included in the request is (invalid|expired)/i.test(said)) {
    return because(
      `"${said}": the AWS credentials are not valid or have expired; renew them ("aws sso login", or new keys with "aws configure")`,
    );
  }
  if (/not authorized to perform/i.test(said)) {
    return because(
      `"${said}": the AWS identity in use may not call the admin API; it needs execute-api:Invoke on the API (an IAM policy)`,
    );
  }
  if (/missing authentication token/i.test(said) || (status === 403 && !signed)) {
    return because(
      signed
        ? `"${said}": API Gateway says so for a route it does not have, too; check that --endpoint is the stack's API URL (output ApiUrl) with nothing after it`
        : `"${said}": the admin routes of a deployed watcher take AWS SigV4-signed requests only. Use its https:// URL (signed by default) or add --sign (HBW_SIGN=1)`,
    );
  }
  if (status === 403) {
    return because(
      `"${said}": the AWS identity in use (see "aws sts get-caller-identity") may not call the admin API; it needs execute-api:Invoke on it (an IAM policy)`,
    );
  }
  if (status === 404) {
    return because(
      `"${said}": no such route; check that --endpoint is the stack's API URL (output ApiUrl) with nothing after it`,
    );
  }
  return new ApiError(status, 'gateway', `API Gateway answered ${status}: ${said}`);
}

const EXECUTE_API_HOST = /^[a-z0-9-]+\.execute-api\.([a-z0-9-]+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/i;

/** The region in an API Gateway host name (`<id>.execute-api.<region>.amazonaws.com`), if it is one. */
function regionOfEndpoint(endpoint: string): string | undefined {
  return EXECUTE_API_HOST.exec(new URL(endpoint).hostname)?.[1]?.toLowerCase();
}

/** `always` for --sign or HBW_SIGN=1, `never` for HBW_SIGN=0, else `auto`. */
export type SignMode = 'auto' | 'always' | 'never';

function signModeOf(flag: boolean | undefined, env: NodeJS.ProcessEnv): SignMode {
  if (flag) return 'always';
  const text = (env.HBW_SIGN ?? '').trim().toLowerCase();
  if (text === '' || text === 'auto') return 'auto';
  if (['1', 'true', 'yes', 'always'].includes(text)) return 'always';
  if (['0', 'false', 'no', 'never'].includes(text)) return 'never';
  throw new SigningSetupError(`HBW_SIGN must be 1 (sign), 0 (do not sign) or auto, not "${env.HBW_SIGN}"`);
}

/**
 * Whether requests to `endpoint` are signed: in `auto`, an https:// endpoint off this machine is (a
 * deployed watcher); a plain http:// one or one on loopback is not (a local watcher).
 */
function signsEndpoint(endpoint: string, mode: SignMode): boolean {
  if (mode !== 'auto') return mode === 'always';
  const url = new URL(endpoint);
  return url.protocol === 'https:' && !isLoopbackHost(url.hostname);
}

/**
 * The standard AWS credential chain. Static keys in `env` are taken from there (the chain's first
 * link, read from the environment given rather than the process's); otherwise `fromNodeProviderChain`
 * (profile AWS_PROFILE, SSO, process, web identity, container, instance).
 */
function credentialChain(env: NodeJS.ProcessEnv): CredentialsProvider {
  if (!env.AWS_PROFILE && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const credentials: AwsCredentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
    return async () => credentials;
  }
  let chain: CredentialsProvider | undefined;
  return async () => {
    if (!chain) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      chain = fromNodeProviderChain(env.AWS_PROFILE ? { profile: env.AWS_PROFILE } : {});
    }
    return chain();
  };
}

export interface ClientSetup {
  readonly endpoint: string;
  /** The environment: HBW_ADMIN_TOKEN, HBW_SIGN, AWS_REGION and the credentials' variables. */
  readonly env: NodeJS.ProcessEnv;
  /** --sign: sign even a plain http:// endpoint. */
  readonly sign?: boolean;
  /** --region: the region to sign for. @default from the endpoint's host, else AWS_REGION */
  readonly region?: string;
  /** @default `credentialChain(env)` */
  readonly credentials?: CredentialsProvider;
  readonly fetch?: typeof fetch;
}

/**
 * The client for `endpoint`: signed with SigV4 for a deployed watcher (an https:// endpoint, or
 * --sign), else plain HTTP with HBW_ADMIN_TOKEN as bearer when it is set.
 */
export function createWatcherClient(setup: ClientSetup): WatcherClient {
  const { endpoint, env } = setup;
  if (!signsEndpoint(endpoint, signModeOf(setup.sign, env))) {
    return new WatcherClient(endpoint, env.HBW_ADMIN_TOKEN || undefined, { fetch: setup.fetch });
  }
  const region = setup.region || regionOfEndpoint(endpoint) || env.AWS_REGION;
  if (!region) {
    throw new SigningSetupError(
      `cannot tell which AWS region ${new URL(endpoint).host} is in, to sign for it: give --region REGION or set AWS_REGION`,
    );
  }
  if (!/^[a-z0-9-]+$/.test(region)) {
    throw new SigningSetupError(`"${region}" is not an AWS region name (like eu-west-1)`);
  }
  const signer = new SigV4Signer({
    region,
    endpoint,
    credentials: setup.credentials ?? credentialChain(env),
    credentialsSource:
      setup.credentials === undefined && env.AWS_PROFILE
        ? `the profile "${env.AWS_PROFILE}" named by AWS_PROFILE`
        : undefined,
  });
  return new WatcherClient(endpoint, undefined, { signer, fetch: setup.fetch });
}
