import type { Server } from 'node:net';

/** Who gives an answer the tests hold to the contract: each answers its own part of it. */
export type Answerer = 'watcher' | 'relay' | 'console proxy' | 'ingest function' | 'register function';

/** One answer as it went out. */
export interface TappedAnswer {
  readonly method: string;
  /** The path and query, as the request line had them. */
  readonly path: string;
  readonly status: number;
  /** '' when the answer named none. */
  readonly contentType: string;
  /** The body as sent, as text ('' for none). */
  readonly body: string;
}

/** Calls `told` for every answer of a server `answererOf` names; answers the function that stops the tap. */
export declare function tapAnswers(
  answererOf: (server: Server) => Answerer | undefined,
  told: (answerer: Answerer, answer: TappedAnswer) => void,
): () => void;
