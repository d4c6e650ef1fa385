/**
 * The door of the embedded DynamoDB, run in the dynalite thread before dynalite sees a request.
 *
 * dynalite checks only the form of a signature, never its value, and answers any web page with
 * `Access-Control-Allow-Origin: *`. So every request must be a POST to `/`, carry no `Origin`
 * (no browser sends one without), and be SigV4-signed with the key the starting thread made for
 * this process (LocalDynamoConnection); anything else is answered 403, with no CORS header, and
 * dynalite never sees it. The signature is checked the way DynamoDB checks it: the request is
 * signed again from what arrived (the headers it lists as signed, the body it carries, hashed
 * here, never taken from a header) at the time it claims, within 5 minutes, and compared.
 *
 * It is JavaScript in a string, as the thread is (cli/embedded-dynamo.ts says why), and requires
 * @smithy/signature-v4 by the absolute path the starting thread resolved (`options.signatureV4`).
 */
export const STORE_GUARD = `
function guardStore(server, options) {
  const { createHash, createHmac, timingSafeEqual } = require('node:crypto');
  const { PassThrough } = require('node:stream');
  const { SignatureV4 } = require(options.signatureV4);

  // node:crypto behind the hash interface of @smithy (the pure-JS one costs ten times more).
  class NodeSha256 {
    constructor(secret) {
      this.secret = secret;
      this.reset();
    }
    update(data) {
      this.hash.update(data);
    }
    digest() {
      return Promise.resolve(this.hash.digest());
    }
    reset() {
      this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
    }
  }
  const { credentials } = options;
  // One signer per region and payload-header choice, each with its cache of signing keys.
  const signers = new Map();
  const signer = (region, applyChecksum) => {
    const key = region + (applyChecksum ? '+sha256' : '');
    if (!signers.has(key)) {
      signers.set(key, new SignatureV4({ service: 'dynamodb', region, credentials, sha256: NodeSha256, applyChecksum }));
    }
    return signers.get(key);
  };
  const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\\/(\\d{8})\\/([^/]+)\\/([^/]+)\\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
  const MAX_BODY_BYTES = 16 * 1024 * 1024;

  function amzDate(text) {
    const m = /^(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})Z$/.exec(text ?? '');
    return m ? new Date(m[1] + '-' + m[2] + '-' + m[3] + 'T' + m[4] + ':' + m[5] + ':' + m[6] + 'Z') : undefined;
  }

  /** Why the request is refused, or undefined when it is this process's own. */
  async function refusal(req, body) {
    if (req.method !== 'POST' || req.url !== '/' || req.headers.origin !== undefined) {
      return 'only signed POST requests of the watcher itself';
    }
    const m = AUTH.exec(req.headers.authorization ?? '');
    if (!m) return 'the request is not signed';
    const [, keyId, , region, service, signedList, signature] = m;
    if (keyId !== credentials.accessKeyId || service !== 'dynamodb') {
      return 'the request is not signed with this watcher’s key';
    }
    const names = signedList.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) {
      return 'the signature does not cover the host and the date';
    }
    const date = amzDate(req.headers['x-amz-date']);
    if (!date || Math.abs(Date.now() - date.getTime()) > 5 * 60_000) return 'the signature has expired';
    const headers = {};
    for (const name of names) {
      const value = req.headers[name];
      if (typeof value !== 'string') return 'a signed header is missing';
      if (name !== 'x-amz-content-sha256') headers[name] = value;
    }
    const expected = await signer(region, names.includes('x-amz-content-sha256')).sign(
      { method: 'POST', protocol: 'http:', hostname: headers.host, path: '/', query: {}, headers, body },
      { signingDate: date },
    );
    const want = Buffer.from(expected.headers.authorization.slice(-64));
    return timingSafeEqual(want, Buffer.from(signature)) ? undefined : 'the signature does not match';
  }

  function refuse(res, message) {
    const body = JSON.stringify({ __type: 'com.amazon.coral.service#UnrecognizedClientException', message });
    res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  const dynaliteHandler = server.listeners('request')[0];
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refuse(res, 'the request is too large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      refusal(req, body.toString('utf8')).then(
        (why) => {
          if (why !== undefined) return refuse(res, why);
          // dynalite reads the body from the request as it arrives: hand it the one read here.
          const again = new PassThrough();
          again.headers = req.headers;
          again.method = req.method;
          again.url = req.url;
          dynaliteHandler(again, res);
          again.end(body);
        },
        (error) => refuse(res, 'the signature could not be checked: ' + error.message),
      );
    });
  });
}
`;
