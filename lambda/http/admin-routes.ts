import type { Context } from 'hono';
import { Hono } from 'hono/tiny';
import { OPEN_PATHS } from '../api/contract';
import type { Caller } from '../domain/audit';
import { hashSecret, sameHash } from '../domain/secrets';
import type { WatcherService } from '../service';
import { bearer, jsonError, readJson, resource, withErrors } from './door';
import { hostOfHeader, isLoopbackHost } from './hosts';

// The operators' routes and their guard: what the admin Lambda serves, apart from the enrollment
// routes, so that its bundle holds neither the installers nor the API document.

export interface AdminAccess {
  /** When set, admin routes require `Authorization: Bearer <token>`; when not, they are open. */
  readonly token?: string;
  /**
   * Local mode: refuse admin calls that a web page of another site makes through the operator's
   * browser (cross-site requests, and DNS rebinding, where the Host is not a loopback name).
   * Off in the cloud, where admin calls are signed and a browser cannot sign them.
   */
  readonly browserGuard?: { readonly loopbackOnly: boolean };
  /**
   * Who made an admin call and from where, for the audit trail, as the door in front of the app knows
   * it: the Lambda's from API Gateway's request context, local mode's from its socket.
   */
  readonly caller: CallerOf;
}

/** Reads the caller of a request from what the door put under it (Hono's `c.env`). */
export type CallerOf = (c: Context) => Caller;

/** Why a browser-made admin call is refused, or `undefined` when it may pass. */
export function browserRefusal(
  headers: { host?: string; origin?: string; fetchSite?: string },
  loopbackOnly: boolean,
): string | undefined {
  if (headers.fetchSite === 'cross-site' || headers.fetchSite === 'same-site') {
    return 'admin calls from another site are refused';
  }
  if (headers.origin !== undefined && headers.origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(headers.origin).host;
    } catch {
      return 'the Origin header is not a URL';
    }
    if (originHost.toLowerCase() !== (headers.host ?? '').toLowerCase())
      return 'admin calls from another origin are refused';
  } else if (headers.origin === 'null') {
    return 'admin calls from an opaque origin are refused';
  }
  const host = hostOfHeader(headers.host ?? '');
  if (loopbackOnly && (host === undefined || !isLoopbackHost(host))) {
    return 'the local watcher answers admin calls only under a loopback name (127.0.0.1, localhost, [::1])';
  }
  return undefined;
}

const AGENT_ROUTES = new Set(OPEN_PATHS);
const isAgentRoute = (path: string) => AGENT_ROUTES.has(path);

/**
 * Guards the admin routes under `path` (the agent routes pass): the browser guard and the admin
 * token, as `access` has them. Also what the local door puts before `GET /metrics`.
 */
export function guardAdmin(app: Hono, path: string, access: AdminAccess): void {
  const guard = access.browserGuard;
  if (guard) {
    app.use(path, async (c, next) => {
      if (isAgentRoute(c.req.path)) return next();
      const refusal = browserRefusal(
        {
          host: c.req.header('host'),
          origin: c.req.header('origin'),
          fetchSite: c.req.header('sec-fetch-site'),
        },
        guard.loopbackOnly,
      );
      if (refusal) return jsonError(c, 403, { code: 'forbidden', message: refusal });
      return next();
    });
  }
  const expected = access.token === undefined ? undefined : hashSecret(access.token);
  if (expected !== undefined) {
    app.use(path, async (c, next) => {
      if (isAgentRoute(c.req.path)) return next();
      const given = bearer(c);
      if (given === undefined || !sameHash(expected, hashSecret(given))) {
        c.header('WWW-Authenticate', 'Bearer');
        return jsonError(c, 401, {
          code: 'unauthorized',
          message: 'admin routes need the admin token (HBW_ADMIN_TOKEN)',
        });
      }
      return next();
    });
  }
}

/** Registers the admin routes. Who may call them is decided by `access` (or by IAM in front of Lambda). */
export function addAdminRoutes(app: Hono, service: WatcherService, access: AdminAccess): void {
  guardAdmin(app, '/v1/*', access);
  const id = (c: Context) => c.req.param('agentId') ?? '';
  /** The named query parameters; an empty one is taken as absent. */
  const query = <K extends string>(c: Context, ...names: K[]) =>
    Object.fromEntries(names.map((name) => [name, c.req.query(name) || undefined])) as Record<
      K,
      string | undefined
    >;
  const caller = access.caller;
  resource(app, '/v1/status', { GET: async (c) => c.json(await service.status()) });
  resource(app, '/v1/audit', {
    GET: async (c) => c.json(await service.listAudit(query(c, 'since', 'target', 'limit', 'cursor'))),
  });
  resource(app, '/v1/agents', {
    GET: async (c) =>
      c.json(await service.listAgents(query(c, 'group', 'state', 'cluster', 'parent', 'limit', 'cursor'))),
    POST: async (c) => c.json(await service.addAgent(await readJson(c), caller(c)), 201),
  });
  resource(app, '/v1/agents/:agentId', {
    GET: async (c) => c.json(await service.getAgent(id(c))),
    PATCH: async (c) => c.json(await service.changeAgent(id(c), await readJson(c), caller(c))),
    DELETE: async (c) => {
      await service.removeAgent(id(c), query(c, 'force'), caller(c));
      return c.body(null, 204);
    },
  });
  resource(app, '/v1/agents/:agentId/approve', {
    POST: async (c) => c.json(await service.approve(id(c), caller(c))),
  });
  resource(app, '/v1/agents/:agentId/reject', {
    POST: async (c) => c.json(await service.reject(id(c), caller(c))),
  });
  resource(app, '/v1/agents/:agentId/rotate-token', {
    POST: async (c) => c.json(await service.rotateToken(id(c), caller(c))),
  });
  resource(app, '/v1/agents/:agentId/maintenance', {
    PUT: async (c) => c.json(await service.startMaintenance(id(c), await readJson(c), caller(c))),
    DELETE: async (c) => c.json(await service.endMaintenance(id(c), caller(c))),
  });
  resource(app, '/v1/alerts', {
    GET: async (c) =>
      c.json({
        alerts: await service.listAlerts(query(c, 'status', 'group', 'agentId')),
      }),
  });
  resource(app, '/v1/alerts/:alertId/ack', {
    POST: async (c) => {
      const body = await readJson(c, { emptyAs: {} });
      return c.json(await service.acknowledgeAlert(c.req.param('alertId') ?? '', body, caller(c)));
    },
  });
  for (const scope of ['group', 'cluster'] as const) {
    const name = (c: Context) => c.req.param(scope) ?? '';
    resource(app, `/v1/${scope}s/:${scope}/maintenance`, {
      PUT: async (c) =>
        c.json(await service.startFleetMaintenance(scope, name(c), await readJson(c), caller(c))),
      DELETE: async (c) => c.json(await service.endFleetMaintenance(scope, name(c), caller(c))),
    });
  }
  resource(app, '/v1/groups/:group/enrollment-key', {
    POST: async (c) => c.json(await service.newEnrollmentKey(c.req.param('group') ?? '', caller(c)), 201),
  });
}

/** The admin routes alone: what the admin Lambda serves, behind IAM. */
export function createAdminApp(service: WatcherService, access: AdminAccess): Hono {
  const app = withErrors(new Hono(), service.log);
  addAdminRoutes(app, service, access);
  return app;
}
