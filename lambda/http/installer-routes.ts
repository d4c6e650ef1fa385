import type { Context } from 'hono';
import { Hono } from 'hono/tiny';
import { openApiDocument } from '../api/openapi';
import type { Logger } from '../logger';
import { resource, withErrors } from './door';
import { installPs1 } from './install-ps1';
import { installScript, servedEndpoint } from './install-script';

/** Registers what holds no secret and reads no table: the installers and the API's own document. */
export function addInstallerRoutes(app: Hono): void {
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

/** The installers and the document alone: what the installer Lambda serves. */
export function createInstallerApp(log: Logger): Hono {
  const app = withErrors(new Hono(), log);
  addInstallerRoutes(app);
  return app;
}
