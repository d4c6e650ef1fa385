import type { AgentPage, AgentView, ErrorAnswer } from '../../lambda/api/contract';
import { followCursors } from '../pages';

export type ApiFailure = Error & { status: number; code: string };

/** Where the admin token the operator typed is kept: this tab only. */
export const TOKEN_KEY = 'hbw.adminToken';

export const enc = encodeURIComponent;
export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One call of the watcher's API; a failure is an `ApiFailure` with the watcher's own code and message. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-hbw-console': '1' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const fail = (status: number, code: string, message: string): ApiFailure =>
    Object.assign(new Error(message), { status, code });
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw fail(0, 'unreachable', 'no answer from the console server (is it still running?)');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const error = (data as { error?: Partial<ErrorAnswer['error']> } | undefined)?.error;
    throw fail(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}

/**
 * Every agent `filter` (`&parent=sw-01`) names, in pages of 1,000: the clusters and pending views
 * list the whole fleet, an agent's page those behind it.
 */
export function everyAgent(filter = ''): Promise<AgentView[]> {
  return followCursors('agents', (cursor) =>
    api<AgentPage>('GET', `/v1/agents?limit=1000${filter}${cursor ? `&cursor=${enc(cursor)}` : ''}`),
  );
}
