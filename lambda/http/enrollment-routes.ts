import type { Context } from 'hono';
import { Hono } from 'hono/tiny';
import { openApiDocument } from '../api/openapi';
import type { WatcherService } from '../service';
import { bearer, readJson, resource, withErrors } from './door';
import { installPs1 } from './install-ps1';
import { installScript, servedEndpoint } from './install-script';

/**
 * Registers the enrollment routes: register (by the group's enrollment key), and what holds no
 * secret: the installers and the API's own document.
 */
export function addEnrollmentRoutes(app: Hono, service: WatcherService): void {
  resource(app, '/v1/register', {
    POST: async (c) => {
      const body = await readJson(c);
      return c.json(await service.register(bearer(c), body), 201);
    },
  });
  // The installers' endpoint defaults to the watcher that served them, as the client reached it
  // (behind a proxy or a custom domain, pass it): one check of the Host for both.
  const served = (c: Context) =>
    servedEndpoint(c.req.header('host'), c.req.header('x-forwarded-proto'), c.req.url);
  resource(app, '/v1/install.sh', {
    GET: (c) => {
      c.header('content-type', 'text/x-shellscript; charset=utf-8');
      c.header('cache-control', 'no-store');
      return c.body(installScript(served(c)));
    },
  });
  resource(app, '/v1/install.ps1', {
    GET: (c) => {
      c.header('content-type', 'text/plain; charset=utf-8');
      c.header('cache-control', 'no-store');
      return c.body(installPs1(served(c) ?? ''));
    },
  });
  resource(app, '/v1/openapi.json', { GET: (c) => c.json(openApiDocument()) });
}

/** The enrollment routes alone: what the register Lambda serves. */
export function createRegisterApp(service: WatcherService): Hono {
  const app = withErrors(new Hono(), service.log);
  addEnrollmentRoutes(app, service);
  return app;
}
