import { Hono } from 'hono/tiny';
import type { WatcherService } from '../service';
import { type AdminAccess, addAdminRoutes } from './admin-routes';
import { addHeartbeatRoutes, withErrors } from './door';
import { addEnrollmentRoutes } from './enrollment-routes';
import type { HeartbeatObserver } from './heartbeat-routes';

/**
 * Both, as the local server serves them; `extend` adds routes of the door (console, favicon, metrics),
 * and `observe` is told the status of each heartbeat (the metrics).
 */
export function createApp(
  service: WatcherService,
  access: AdminAccess,
  extend?: (app: Hono) => void,
  observe?: HeartbeatObserver,
): Hono {
  const app = withErrors(new Hono(), service.log);
  addHeartbeatRoutes(app, service, observe);
  addEnrollmentRoutes(app, service);
  addAdminRoutes(app, service, access);
  extend?.(app);
  return app;
}
