// Every answer an HTTP server of this process gives, as it went out: the one tap the tests hold to
// the API's contract (./contract-check.ts). Plain JavaScript, so that a process of its own (`hbw
// local` started by the tests, ./answer-tap-child.js) loads the same tap before anything else.
const { subscribe, unsubscribe } = require('node:diagnostics_channel');

/** Node publishes every request a server takes here, with its answer, before any listener sees it. */
const REQUEST_START = 'http.server.request.start';

/** The value of header `name` in what `writeHead` was given: an object, or a flat list of names and values. */
function headerIn(headers, name) {
  if (Array.isArray(headers)) {
    const flat = headers.flat();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (String(flat[i]).toLowerCase() === name) return String(flat[i + 1]);
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key.toLowerCase() === name) return String(value);
  return undefined;
}

/** Keeps what `response` sends (its status, its content type, its body) and hands it to `told` as it ends. */
function capture(request, response, told) {
  const chunks = [];
  const keep = (chunk, encoding) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
        : Buffer.from(chunk),
    );
  };
  let contentType;
  const { writeHead, write, end } = response;
  response.writeHead = function (status, ...rest) {
    const headers = rest.find((r) => typeof r === 'object');
    contentType = headerIn(headers, 'content-type') ?? contentType;
    return writeHead.call(this, status, ...rest);
  };
  response.write = function (chunk, encoding, ...rest) {
    keep(chunk, encoding);
    return write.call(this, chunk, encoding, ...rest);
  };
  response.end = function (chunk, encoding, ...rest) {
    keep(chunk, encoding);
    told({
      method: request.method ?? '',
      // From the request line, as the server read it.
      path: request.url ?? '',
      status: response.statusCode,
      contentType: contentType ?? String(response.getHeader('content-type') ?? ''),
      body: Buffer.concat(chunks).toString('utf8'),
    });
    return end.call(this, chunk, encoding, ...rest);
  };
}

/**
 * Calls `told(answerer, answer)` for every answer of a server `answererOf` names (the watcher, a
 * relay, the console proxy); answers the function that stops the tap.
 */
function tapAnswers(answererOf, told) {
  const onRequest = ({ request, response, server }) => {
    const answerer = answererOf(server);
    if (answerer !== undefined) capture(request, response, (answer) => told(answerer, answer));
  };
  subscribe(REQUEST_START, onRequest);
  return () => unsubscribe(REQUEST_START, onRequest);
}

module.exports = { tapAnswers };
