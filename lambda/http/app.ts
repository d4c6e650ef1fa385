import { Hono } from 'hono/tiny';
import type { WatcherService } from '../service';
import { type AdminAccess, addAdminRoutes } from './admin-routes';
import type { HeartbeatObserver } from './answers';
import { addPostRoutes, withErrors } from './door';
import { ENROLLMENT_ROUTES } from './enrollment-routes';
import { HEARTBEAT_ROUTES } from './heartbeat-routes';
import { addInstallerRoutes } from './installer-routes';

/**
 * Every route, as the local server serves them (in the cloud, the ingest, register, installer and
 * admin functions each serve their part); `extend` adds routes of the door (console, favicon,
 * metrics), and `observe` is told the status of each heartbeat (the metrics).
 */
export function createApp(
  service: WatcherService,
  access: AdminAccess,
  extend?: (app: Hono) => void,
  observe?: HeartbeatObserver,
): Hono {
  const app = withErrors(new Hono(), service.log);
  addPostRoutes(app, HEARTBEAT_ROUTES, service, observe);
  addPostRoutes(app, ENROLLMENT_ROUTES, service);
  addInstallerRoutes(app);
  addAdminRoutes(app, service, access);
  extend?.(app);
  return app;
}
