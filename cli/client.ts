/** An error answer of the watcher's API, with the code, message and field it gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The watcher could not be reached at all. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/** Calls the admin API of one watcher (a local one over plain HTTP). */
export class WatcherClient {
  constructor(
    readonly endpoint: string,
    private readonly adminToken?: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.endpoint.endsWith('/') ? this.endpoint : `${this.endpoint}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new UnreachableError(
        `cannot reach the watcher at ${this.endpoint} (${reason}): is it running? Start one with "npm start" or point --endpoint / HBW_ENDPOINT at yours`,
        { cause: error },
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(
        res.status,
        'bad_answer',
        `the watcher answered ${res.status} with something that is not JSON`,
      );
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)
        ?.error;
      throw new ApiError(
        res.status,
        err?.code ?? 'http_error',
        err?.message ?? `HTTP ${res.status}`,
        err?.field,
      );
    }
    return parsed as T;
  }
}
