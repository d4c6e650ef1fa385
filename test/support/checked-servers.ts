import type { Server } from 'node:net';
import type { Answerer } from './answer-tap';

// The servers of this process whose answers the tests hold to the API's contract, by the port each
// listens on, and who each is (./answer-tap.js hands their answers to ./contract-check.ts). Nothing
// heavy to load: the hooks of every test file ask it of every server that answers.

const checked = new Map<number, { readonly answerer: Answerer }>();

/** Holds every answer of the server at `url` (of this process) to `answerer`'s contract; answers the function that stops it. */
export function checkAnswersOf(url: string, answerer: Answerer): () => void {
  const port = Number(new URL(url).port);
  const entry = { answerer };
  checked.set(port, entry);
  return () => {
    if (checked.get(port) === entry) checked.delete(port);
  };
}

/** Who `server` is, when its answers are held to the contract. */
export function answererOf(server: Server): Answerer | undefined {
  const address = server.address();
  return address === null || typeof address === 'string' ? undefined : checked.get(address.port)?.answerer;
}
