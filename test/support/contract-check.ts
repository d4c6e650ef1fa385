import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../lambda/api/openapi';

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
   * Why the answer does not match the contract, or `undefined` when it does (or when the path is not
   * one of the API's: the console's page, `/metrics`).
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
    const route = this.routes.find((r) => r.pattern.test(path));
    const isJson = contentType.startsWith('application/json');
    if (!route || !this.document.paths[route.template]![method.toLowerCase()]) {
      // No such route (404), or not this method (405): the error answer, if it is the watcher's.
      if (!path.startsWith('/v1/') || method === 'HEAD') return undefined;
      return this.mismatch(
        what,
        pointer('components', 'responses', 'Error404', 'content', 'application/json', 'schema'),
        body,
      );
    }
    const operation = this.document.paths[route.template]![method.toLowerCase()]!;
    const answer = operation.responses[String(status)];
    if (!answer)
      return `${what}, which the contract does not list for it (${Object.keys(operation.responses).join(', ')})`;
    if (answer.$ref) {
      if (!isJson) return `${what} with ${contentType || 'no content type'}, not the JSON error answer`;
      return this.mismatch(what, `${answer.$ref.slice(2)}/content/application~1json/schema`, body);
    }
    const [type] = Object.keys(answer.content ?? {});
    if (type === undefined)
      return body === undefined ? undefined : `${what} with a body, where the contract has none`;
    if (!contentType.startsWith(type)) return `${what} with ${contentType || 'no content type'}, not ${type}`;
    if (type !== 'application/json') return undefined;
    return this.mismatch(
      what,
      pointer(
        'paths',
        route.template,
        method.toLowerCase(),
        'responses',
        String(status),
        'content',
        type,
        'schema',
      ),
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
