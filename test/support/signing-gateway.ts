import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '../../cli/client';

/** A request as it reached the gateway, and what the gateway made of it. */
export interface GatewayRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** `undefined` when the signature held; else API Gateway's message. */
  readonly refused?: string;
}

/** What a request looks like after `tamper`: a change made between the client and the gateway. */
export interface InFlight {
  url: string;
  body: string;
}

export interface SigningGatewayOptions {
  /** The credentials the gateway trusts (one identity). */
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** Where verified requests are forwarded (a local watcher); unsigned headers are not. */
  readonly upstream: string;
  /** Changes a request in flight, after it was signed. */
  readonly tamper?: (request: InFlight) => void;
  /**
   * Answer a signature mismatch the way a REST API does: the message goes on with the canonical
   * request the gateway computed, session token included.
   */
  readonly verboseMismatch?: boolean;
}

export interface SigningGateway {
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: GatewayRequest[];
  close(): Promise<void>;
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `20261123T120000Z` as a Date. */
function amzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/**
 * Checks a request's SigV4 signature as API Gateway's IAM authorization does: rebuilds the request
 * from what arrived (method, raw path, query, the headers it lists as signed, the body), signs it
 * again with the trusted credentials at the time it claims, and compares. The payload hash is always
 * recomputed from the body that arrived, never taken from a header. Answers why it is refused, or
 * `undefined` when it holds.
 */
export async function verifySigV4(
  request: { method: string; url: string; headers: Readonly<Record<string, string>>; body: string },
  trusted: AwsCredentials,
  region: string,
  now = new Date(),
): Promise<string | undefined> {
  const authorization = request.headers.authorization;
  if (!authorization) return 'Forbidden';
  const m = AUTH.exec(authorization);
  if (!m) return 'Authorization header requires existence of Credential, SignedHeaders and Signature.';
  const [, accessKeyId, , , , signedList] = m;
  const token = request.headers['x-amz-security-token'];
  if (accessKeyId !== trusted.accessKeyId || (trusted.sessionToken && token !== trusted.sessionToken)) {
    return 'The security token included in the request is invalid.';
  }
  const signedNames = signedList!.split(';');
  if (!signedNames.includes('host') || !signedNames.includes('x-amz-date')) return MISMATCH;
  const date = amzDate(request.headers['x-amz-date'] ?? '');
  if (!date) return MISMATCH;
  if (Math.abs(now.getTime() - date.getTime()) > 5 * 60_000) {
    return `Signature expired: ${request.headers['x-amz-date']} is now earlier or later than 5 minutes from ${now.toISOString()}.`;
  }
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = request.headers[name];
    if (value === undefined) return MISMATCH;
    if (name !== 'x-amz-content-sha256') headers[name] = value;
  }
  const url = new URL(request.url, 'http://gateway');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const seen = query[k];
    query[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: trusted,
    sha256: Sha256,
    // A client that signed x-amz-content-sha256 gets it signed again, with the hash of the body received.
    applyChecksum: signedNames.includes('x-amz-content-sha256'),
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: url.hostname,
      path: request.url.split('?')[0]!,
      query,
      headers,
      body: request.body === '' ? undefined : request.body,
    },
    { signingDate: date },
  );
  return expected.headers.authorization === authorization ? undefined : MISMATCH;
}

/** The canonical-request tail a REST API appends to a mismatch (it shows the session token). */
function verboseTail(request: GatewayRequest): string {
  const lines = Object.entries(request.headers)
    .filter(([k]) => k === 'host' || k.startsWith('x-amz-'))
    .map(([k, v]) => `${k}:${v}`);
  return `\n\nThe Canonical String for this request should have been\n'${request.method}\n${request.url}\n${lines.join('\n')}'\n`;
}

/**
 * A stand-in for API Gateway with IAM authorization, on loopback: verifies each request's SigV4
 * signature and answers 403 as API Gateway does when it does not hold; forwards the others to
 * `upstream`.
 */
export async function startSigningGateway(options: SigningGatewayOptions): Promise<SigningGateway> {
  const requests: GatewayRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const inFlight: InFlight = { url: req.url ?? '/', body: await readBody(req) };
      options.tamper?.(inFlight);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const base = { method: req.method ?? 'GET', url: inFlight.url, headers, body: inFlight.body };
      const refused = await verifySigV4(base, options.credentials, options.region);
      const received: GatewayRequest = { ...base, refused };
      requests.push(received);
      if (refused !== undefined) {
        const message =
          refused === MISMATCH && options.verboseMismatch ? refused + verboseTail(received) : refused;
        res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'ForbiddenException' });
        res.end(JSON.stringify({ message }));
        return;
      }
      const upstream = await fetch(options.upstream + inFlight.url, {
        method: base.method,
        headers: headers['content-type'] ? { 'content-type': headers['content-type'] } : {},
        body: inFlight.body === '' ? undefined : inFlight.body,
      });
      const text = await upstream.text();
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `gateway stand-in failed: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
