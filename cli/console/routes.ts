import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import { CONSOLE_CSP, CONSOLE_PAGE, FAVICON_SVG } from '../console-page';

/** What the console's page costs a browser: bytes as served, and gzip-compressed. */
export interface ConsoleAsset {
  readonly path: string;
  readonly type: string;
  readonly body: string;
}

/** Every file the console needs: the page (style and script inline) and its icon. Nothing else is fetched. */
export const CONSOLE_ASSETS: readonly ConsoleAsset[] = [
  { path: '/', type: 'text/html; charset=utf-8', body: CONSOLE_PAGE },
  { path: '/favicon.svg', type: 'image/svg+xml', body: FAVICON_SVG },
];

const PAGE_GZIP = gzipSync(CONSOLE_PAGE, { level: 9 });

function page(c: Context): Response {
  const headers: Record<string, string> = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    Vary: 'Accept-Encoding',
  };
  if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
    return c.body(new Uint8Array(PAGE_GZIP), 200, { ...headers, 'Content-Encoding': 'gzip' });
  }
  return c.body(CONSOLE_PAGE, 200, headers);
}

const FAVICON_PATHS = ['/favicon.ico', '/favicon.svg'];

/** What the console serves besides the API: its page and its icon (GET alone). */
export const CONSOLE_PATHS: readonly string[] = ['/', ...FAVICON_PATHS];

/** The console page at `/` (gzip when the browser takes it, with a CSP that admits only its own inline code) and the favicon. */
export function addConsoleRoutes(app: Hono): void {
  app.get('/', page);
  for (const path of FAVICON_PATHS) {
    app.get(path, (c) =>
      c.body(FAVICON_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' }),
    );
  }
}
