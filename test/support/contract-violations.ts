import { setImmediate } from 'node:timers/promises';

// The answers of the tests' servers that break the API's contract (./contract-check.ts finds them),
// kept until the test they came in reports them (./contract-hooks.ts). It registers no hook itself,
// so that a module outside the tests' files (jest's global set-up) may import the checker.

const violations: string[] = [];
const checking = new Set<Promise<unknown>>();

/** Keeps what `check` settles with, when it is a violation (a string). */
export function recordViolation(check: Promise<string | undefined>): void {
  const kept = check.then(
    (problem) => {
      if (problem !== undefined) violations.push(problem);
    },
    (error: unknown) => {
      violations.push(`an answer could not be checked: ${String(error)}`);
    },
  );
  checking.add(kept);
  void kept.finally(() => checking.delete(kept));
}

/** Every violation since the last call, once the checks under way have settled. */
export async function takeContractViolations(): Promise<string[]> {
  // A process of its own writes each answer to the tests before the answer goes out: one turn of
  // the event loop reads what it wrote by the time its last answer came.
  await setImmediate();
  await Promise.allSettled([...checking]);
  return violations.splice(0);
}

/** Throws, naming each, when the servers of the tests gave answers that break the contract since the last call. */
export async function failOnViolations(when: string): Promise<void> {
  const found = await takeContractViolations();
  if (found.length > 0) {
    throw new Error(`${when}, the servers gave answers that break the API contract:\n${found.join('\n')}`);
  }
}
