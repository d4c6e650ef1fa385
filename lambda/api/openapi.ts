import { type ConversionConfig, type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { version } from '../../package.json';
import { probeSchema } from '../domain/requests';
import {
  type Access,
  API_ROUTES,
  agentViewSchema,
  alertViewSchema,
  batchItemResultSchema,
  type ErrorStatus,
  errorAnswerSchema,
  errorBodySchema,
  gatewayMessageSchema,
  heartbeatAnswerSchema,
  type Route,
  type RouteKey,
  routeParts,
  scopeMaintenanceSchema,
  statusAnswerSchema,
} from './contract';

// The OpenAPI 3.1 document of the API, generated from the contract's schemas (./contract.ts): what
// `GET /v1/openapi.json` serves and `npm run openapi` writes to docs/openapi.json.

/** The schemas the document names (components.schemas), each written once and referred to. */
const NAMED: Record<string, v.GenericSchema> = {
  AgentView: agentViewSchema,
  AlertView: alertViewSchema,
  StatusAnswer: statusAnswerSchema,
  ScopeMaintenance: scopeMaintenanceSchema,
  HeartbeatAnswer: heartbeatAnswerSchema,
  BatchItemResult: batchItemResultSchema,
  Probe: probeSchema,
  ErrorBody: errorBodySchema,
  ErrorAnswer: errorAnswerSchema,
  GatewayMessage: gatewayMessageSchema,
};

const componentRef = (name: string) => `#/components/schemas/${name}`;

/**
 * Requests are described as they are sent (a timestamp is a string before it is parsed). Checks that
 * JSON Schema cannot say (a real calendar date, a case-insensitive pattern) are left out: the watcher
 * still makes them, and answers 400 naming the field.
 */
const REQUEST: ConversionConfig = {
  target: 'draft-2020-12',
  typeMode: 'input',
  errorMode: 'ignore',
  definitions: NAMED,
  overrideRef: ({ referenceId }) => componentRef(referenceId),
};
/** Answers are described as they are: they hold no transformation. */
const ANSWER: ConversionConfig = { ...REQUEST, typeMode: 'ignore' };

/** A schema as a piece of the document: no `$schema` of its own, its references in components. */
function piece(schema: v.GenericSchema, config: ConversionConfig): JsonSchema {
  const { $schema: _, $defs: __, ...rest } = toJsonSchema(schema, config);
  return rest;
}

/** An answer's schema as the document writes it (the tests check a relay's answers with it too). */
export const answerJsonSchema = (schema: v.GenericSchema): JsonSchema => piece(schema, ANSWER);

const ERROR_DESCRIPTIONS: Record<ErrorStatus | 500 | 503, string> = {
  400: 'The request is malformed: `field` names the body field, query or path parameter at fault',
  401: 'No credential, or a wrong one',
  403: 'Refused: a rejected agent, or (local mode) an admin call a browser made for another site; in the cloud, API Gateway refusing an unsigned or unauthorized admin call answers `{"message"}` itself',
  404: 'No such agent or alert',
  409: 'A conflict: the agentId is taken, or the agent is the parent of others (`has_children`)',
  413: 'The body is larger than the route takes (8 KiB; 256 KiB for a batch)',
  415: 'The body says it is something other than JSON',
  500: 'An error nobody expected; it has been logged',
  503: 'The store is busy; retry after `Retry-After` seconds',
};

const SECURITY: Record<Access, Record<string, string[]>[]> = {
  agent: [],
  open: [],
  admin: [{ adminToken: [] }, { sigv4: [] }],
};

function parameters(route: Route) {
  const out: object[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    out.push({ name, in: 'path', required: true, schema: piece(schema, REQUEST) });
  }
  for (const [name, schema] of Object.entries(route.query?.entries ?? {})) {
    out.push({ name, in: 'query', required: false, schema: piece(schema, REQUEST) });
  }
  return out;
}

function operation(key: RouteKey) {
  const route: Route = API_ROUTES[key];
  const responses: Record<string, object> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    if ('json' in answer) {
      responses[status] = {
        description: answer.description,
        content: { 'application/json': { schema: answerJsonSchema(answer.json) } },
      };
    } else if ('text' in answer) {
      responses[status] = {
        description: answer.description,
        content: { [answer.text]: { schema: { type: 'string' } } },
      };
    } else responses[status] = { description: answer.description };
  }
  // A Host header that is not a host name is refused (400) on every route, before any route runs.
  for (const status of new Set([400, ...route.errors, 500, 503] as const)) {
    responses[status] = { $ref: `#/components/responses/Error${status}` };
  }
  // In the cloud, API Gateway throttles every route at the stage's limits, before the function.
  if (!route.localOnly) responses[429] = { $ref: '#/components/responses/Throttled429' };
  const credential = route.credential === undefined ? [] : [{ [route.credential]: [] }];
  return {
    operationId: operationId(key),
    summary: route.summary,
    tags: [route.access],
    // A route of local mode alone is never signed: the admin token is all it takes.
    security: route.localOnly ? [{ adminToken: [] }] : [...SECURITY[route.access], ...credential],
    ...(route.params || route.query ? { parameters: parameters(route) } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.optional !== true,
            content: { 'application/json': { schema: piece(route.body.schema, REQUEST) } },
          },
        }
      : {}),
    responses,
  };
}

/** `POST /v1/agents/{agentId}/rotate-token` is `postAgentsAgentIdRotateToken`. */
function operationId(key: RouteKey): string {
  const { method, path } = routeParts(key);
  const words = path
    .replace(/^\/v1\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

let built: object | undefined;

/** The OpenAPI 3.1 document of every route (built once, on first use). */
export function openApiDocument(): object {
  built ??= buildDocument();
  return built;
}

/** The document as docs/openapi.json holds it (`npm run openapi` writes it). */
export const openApiText = () => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

function buildDocument() {
  const paths: Record<string, Record<string, object>> = {};
  for (const key of Object.keys(API_ROUTES) as RouteKey[]) {
    const { method, path } = routeParts(key);
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = operation(key);
  }
  const schemas = Object.fromEntries(
    Object.entries(NAMED).map(([name, schema]) => {
      // Each named schema in full, not a reference to itself.
      const { [name]: _, ...others } = NAMED;
      const { $schema: __, $defs: ___, ...rest } = toJsonSchema(schema, { ...ANSWER, definitions: others });
      return [name, rest];
    }),
  );
  const responses = errorResponses();
  return {
    openapi: '3.1.0',
    info: {
      title: 'heartbeat-watcher',
      version,
      description: [
        'Agents send heartbeats; a scanner counts the scans each one missed and opens alerts by server group.',
        'Agent routes check the agent token (or, to register, the group enrollment key) as a bearer token.',
        'Admin routes take the admin token in local mode (HBW_ADMIN_TOKEN; none needed on loopback without one)',
        'and a SigV4 signature in the cloud, where API Gateway answers an unsigned or refused call itself',
        'with 403 and {"message": "..."}. Every other error answers {"error": {"code", "message", "field"?}}.',
        'Answers may gain fields: a client ignores the ones it does not know.',
      ].join(' '),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'agent', description: 'What agents and relays call, with their own token' },
      { name: 'open', description: 'Nothing secret: the installers and this document' },
      { name: 'admin', description: 'What operators call: the CLI (hbw) and the console' },
    ],
    paths,
    components: {
      schemas,
      responses,
      securitySchemes: {
        agentToken: { type: 'http', scheme: 'bearer', description: "The agent's own token (hbw_...)" },
        enrollmentKey: {
          type: 'http',
          scheme: 'bearer',
          description: "The group's enrollment key (hbwk_...)",
        },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Local mode: the admin token (HBW_ADMIN_TOKEN), when one is set',
        },
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'The cloud: an AWS SigV4 signature (service execute-api) by a principal with HbwReadOnly or HbwOperator',
        },
      },
    },
  };
}

/** The error answers every operation refers to, ours and (in the cloud) API Gateway's own. */
function errorResponses() {
  return {
    ...Object.fromEntries(
      Object.entries(ERROR_DESCRIPTIONS).map(([status, description]) => [
        `Error${status}`,
        {
          description,
          content: {
            'application/json': {
              schema:
                status === '403'
                  ? {
                      anyOf: [
                        { $ref: componentRef('ErrorAnswer') },
                        { $ref: componentRef('GatewayMessage') },
                      ],
                    }
                  : { $ref: componentRef('ErrorAnswer') },
            },
          },
        },
      ]),
    ),
    Throttled429: {
      description:
        "The cloud: API Gateway's throttling, over the stage's rate or burst limit (`apiThrottle`); retry later",
      content: { 'application/json': { schema: { $ref: componentRef('GatewayMessage') } } },
    },
  };
}
