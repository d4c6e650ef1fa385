import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { CONSOLE_PATHS } from '../../cli/console/routes';
import { openApiDocument } from '../../lambda/api/openapi';
import { recordViolation } from './contract-violations';

// Checks an answer the watcher gave against the OpenAPI document: its status must be one the
// document lists for the route, and its body must match that status's schema. Stricter than the
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
   * Why the answer does not match the contract, or `undefined` when it does. A path the contract does
   * not have may only be answered 404, and a method a route does not take 405, each with the error
   * answer (or 400, the answer of any route to a Host header that is not a host name); the console's
   * page and icon are not the API's, and are not checked.
   */
  problem(
    method: string,
    pathAndQuery: string,
    status: number,
    contentType: string,
    body: unknown,
  ): string | undefined {
    const path = pathAndQuery.split('?')[0]!;
    const what = `${method} ${path} answered ${status}`;
    // A HEAD is answered as its GET, without the body.
    const asMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
    if (asMethod === 'get' && CONSOLE_PATHS.includes(path)) return undefined;
    const route = this.routes.find((r) => r.pattern.test(path));
    const operation = route === undefined ? undefined : this.document.paths[route.template]![asMethod];
    if (operation === undefined) {
      const expected = route === undefined ? 404 : 405;
      if (status !== expected && status !== 400) {
        return route === undefined
          ? `${what}, but the contract has no route ${path}`
          : `${what}, but the contract has no ${method} ${route.template}`;
      }
      return this.errorAnswer(what, `Error${status}`, contentType, method === 'HEAD' ? undefined : body);
    }
    const answer = operation.responses[String(status)];
    if (!answer)
      return `${what}, which the contract does not list for it (${Object.keys(operation.responses).join(', ')})`;
    if (method === 'HEAD') return undefined;
    if (answer.$ref) return this.errorAnswer(what, answer.$ref.split('/').pop()!, contentType, body);
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

  /** The error answer `name` (`Error404`) of components.responses; a HEAD's has no body to check. */
  private errorAnswer(what: string, name: string, contentType: string, body: unknown): string | undefined {
    if (body === undefined) return undefined;
    if (!contentType.startsWith('application/json'))
      return `${what} with ${contentType || 'no content type'}, not the JSON error answer`;
    // 405 is not in components.responses (no route lists it): its body is every error's.
    const at = this.document.components.responses[name] ? name : 'Error404';
    return this.mismatch(
      what,
      pointer('components', 'responses', at, 'content', 'application/json', 'schema'),
      body,
    );
  }

  private mismatch(what: string, at: string, body: unknown): string | undefined {
    let validate = this.compiled.get(at);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `api#/${at}` });
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
 * Holds `answer` (a copy the caller may consume) to the contract, for the request it answers; a
 * mismatch is kept for the e2e suites' afterEach to report (./contract-hooks.ts). What
 * test/support starts a watcher with (`answered`), so that every answer it gives is checked, whoever
 * asked: a test, the CLI, the console and its proxy, an agent, a relay.
 */
export function checkAnswer(
  request: { readonly method: string; readonly path: string },
  answer: Response,
): void {
  recordViolation(
    (async () => {
      // A client that went away mid-answer leaves a body that cannot be read: nothing to hold.
      const text = await answer.text().catch(() => undefined);
      if (text === undefined) return undefined;
      const contentType = answer.headers.get('content-type') ?? '';
      let body: unknown = text === '' ? undefined : text;
      if (text !== '' && contentType.startsWith('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON after all: the check says so
        }
      }
      return contractChecker().problem(request.method, request.path, answer.status, contentType, body);
    })(),
  );
}
