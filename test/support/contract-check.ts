import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { CONSOLE_PATHS } from '../../cli/console/routes';
import { relayHeartbeatAnswerSchema, routeParts } from '../../lambda/api/contract';
import { answerJsonSchema, openApiDocument } from '../../lambda/api/openapi';
import { ENROLLMENT_ROUTES } from '../../lambda/http/enrollment-routes';
import { HEARTBEAT_ROUTES } from '../../lambda/http/heartbeat-routes';
import type { Answerer, TappedAnswer } from './answer-tap';
import { recordViolation } from './contract-violations';

// Checks an answer a server of the tests gave (the watcher, a relay, the console proxy) against the
// OpenAPI document: its status must be one the document lists for the route, and its body must match
// that status's schema (a relay's success, the relay's own answer). Stricter than the
// document, which lets answers gain fields: here an object field the contract does not name fails,
// so that an answer cannot change without its schema.

interface Operation {
  readonly responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
}

type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
};

/** `document` with `additionalProperties: false` on every object schema that names its properties and says nothing of others. */
function closed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closed);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = closed(inner);
  if (out.type === 'object' && out.properties !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/** The refusals of the console proxy's own (cli/console/proxy.ts), each with the error answer, on any path. */
const PROXY_REFUSALS = [403, 404, 405, 413, 500, 502];

/** Where {@link ContractChecker.mismatch} finds the relay's answer to a heartbeat, not in the watcher's document. */
const RELAY_ANSWER = 'relayHeartbeatAnswer';

/** What an answerer serves of the document, when not all of it: these paths, by POST. */
interface Part {
  readonly paths: readonly string[];
  /** Its successes are its own answer ({@link RELAY_ANSWER}), not the document's. */
  readonly success?: typeof RELAY_ANSWER;
}

const SUCCESSES = [200, 202];

const PARTS: Partial<Record<Answerer, Part>> = {
  // cli/agent/relay.ts: it takes a heartbeat alone, and answers in the watcher's place.
  relay: { paths: [routeParts('POST /v1/heartbeat').path], success: RELAY_ANSWER },
  // lambda/http/lambda-door.ts: the ingest function's own door, the heartbeat routes alone.
  'ingest function': { paths: Object.keys(HEARTBEAT_ROUTES) },
  // The same door in the register function, the enrollment alone.
  'register function': { paths: Object.keys(ENROLLMENT_ROUTES) },
};

const pointer = (...keys: string[]) =>
  keys.map((k) => k.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

let checker: ContractChecker | undefined;

/** The one checker of the document (compiled once per test file). */
export function contractChecker(): ContractChecker {
  checker ??= new ContractChecker();
  return checker;
}

export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  private readonly document = closed(openApiDocument()) as Document;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp }[];

  constructor() {
    addFormats(this.ajv);
    this.ajv.addSchema(this.document as object, 'api');
    this.routes = Object.keys(this.document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /**
   * Why the answer does not match `answerer`'s part of the contract, or `undefined` when it does.
   * The watcher answers as the document says: a path the contract does not have may only be answered
   * 404, and a method a route does not take 405, each with the error answer (or 400, the answer of any
   * route to a Host header that is not a host name); the console's page and icon are not the API's,
   * and are not checked. The console proxy passes the watcher's answers on, and refuses what the
   * console never asks with an error answer of its own. A relay answers `POST /v1/heartbeat` in the
   * watcher's place, with its own answer on success; the ingest function, the heartbeat routes; the
   * register function, the enrollment.
   */
  problem(
    method: string,
    pathAndQuery: string,
    status: number,
    contentType: string,
    body: unknown,
    answerer: Answerer = 'watcher',
  ): string | undefined {
    const path = pathAndQuery.split('?')[0]!;
    const what = `${answerer === 'watcher' ? '' : `the ${answerer}: `}${method} ${path} answered ${status}`;
    // A HEAD is answered as its GET, without the body.
    const asMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
    const part = PARTS[answerer];
    if (part) return this.partProblem(what, part, method, asMethod, path, status, contentType, body);
    if (asMethod === 'get' && CONSOLE_PATHS.includes(path)) return undefined;
    const problem = this.watcherProblem(what, method, asMethod, path, status, contentType, body);
    if (problem !== undefined && answerer === 'console proxy' && PROXY_REFUSALS.includes(status)) {
      return this.errorAnswer(what, contentType, body);
    }
    return problem;
  }

  private watcherProblem(
    what: string,
    method: string,
    asMethod: string,
    path: string,
    status: number,
    contentType: string,
    body: unknown,
  ): string | undefined {
    const route = this.routes.find((r) => r.pattern.test(path));
    const operation = route === undefined ? undefined : this.document.paths[route.template]![asMethod];
    if (operation === undefined) {
      const expected = route === undefined ? 404 : 405;
      if (status !== expected && status !== 400) {
        return route === undefined
          ? `${what}, but the contract has no route ${path}`
          : `${what}, but the contract has no ${method} ${route.template}`;
      }
      return this.errorAnswer(what, contentType, method === 'HEAD' ? undefined : body);
    }
    const answer = operation.responses[String(status)];
    if (!answer)
      return `${what}, which the contract does not list for it (${Object.keys(operation.responses).join(', ')})`;
    if (method === 'HEAD') return undefined;
    if (answer.$ref) return this.errorAnswer(what, contentType, body);
    const [type] = Object.keys(answer.content ?? {});
    if (type === undefined)
      return body === undefined ? undefined : `${what} with a body, where the contract has none`;
    if (!contentType.startsWith(type)) return `${what} with ${contentType || 'no content type'}, not ${type}`;
    if (type !== 'application/json') return undefined;
    return this.mismatch(
      what,
      pointer('paths', route!.template, asMethod, 'responses', String(status), 'content', type, 'schema'),
      body,
    );
  }

  /**
   * An answerer that serves a part of the document (`PARTS`): any other path is 404, another method
   * 405, each with the error answer; on its routes it answers as the document says, except that a
   * success may be its own answer.
   */
  private partProblem(
    what: string,
    part: Part,
    method: string,
    asMethod: string,
    path: string,
    status: number,
    contentType: string,
    body: unknown,
  ): string | undefined {
    const expected = !part.paths.includes(path) ? 404 : asMethod !== 'post' ? 405 : undefined;
    if (expected !== undefined) {
      return status === expected
        ? this.errorAnswer(what, contentType, body)
        : `${what}, but it answers ${expected} there: it takes POST ${part.paths.join(' and ')} alone`;
    }
    if (part.success === undefined || !SUCCESSES.includes(status))
      return this.watcherProblem(what, method, asMethod, path, status, contentType, body);
    if (!contentType.startsWith('application/json'))
      return `${what} with ${contentType || 'no content type'}, not application/json`;
    return this.mismatch(what, RELAY_ANSWER, body);
  }

  /** The error answer `name` (`Error404`) of components.responses; a HEAD's has no body to check. */
  private errorAnswer(what: string, contentType: string, body: unknown): string | undefined {
    if (body === undefined) return undefined;
    if (!contentType.startsWith('application/json'))
      return `${what} with ${contentType || 'no content type'}, not the JSON error answer`;
    // Every error a server of ours answers is the error answer, whatever its status (405 and the
    // proxy's 502 are in no route's list); the document's 403 and 429 also allow API Gateway's own
    // {"message"}, which only the cloud's gateway answers, never one of these servers.
    return this.mismatch(what, pointer('components', 'schemas', 'ErrorAnswer'), body);
  }

  private mismatch(what: string, at: string, body: unknown): string | undefined {
    let validate = this.compiled.get(at);
    if (!validate) {
      validate = this.ajv.compile(
        at === RELAY_ANSWER
          ? (closed(answerJsonSchema(relayHeartbeatAnswerSchema)) as object)
          : { $ref: `api#/${at}` },
      );
      this.compiled.set(at, validate);
    }
    if (validate(body)) return undefined;
    const errors = (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || '(answer)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    );
    return `${what}, which does not match the contract: ${errors.join('; ')}\n${JSON.stringify(body)}`;
  }
}

/**
 * Holds an answer a server of the tests gave (./answer-tap.js) to its answerer's part of the
 * contract; a mismatch is kept for the hooks of the test files to report (./contract-hooks.ts), so
 * that every answer is checked, whoever asked: a test, the CLI, the console and its proxy, an agent,
 * a relay.
 */
export function holdToContract(answerer: Answerer, answer: TappedAnswer): void {
  let body: unknown = answer.body === '' ? undefined : answer.body;
  if (answer.body !== '' && answer.contentType.startsWith('application/json')) {
    try {
      body = JSON.parse(answer.body);
    } catch {
      // not JSON after all: the check says so
    }
  }
  const { method, path, status, contentType } = answer;
  recordViolation(
    Promise.resolve(contractChecker().problem(method, path, status, contentType, body, answerer)),
  );
}
