import { parseConfig } from '../../lambda/domain/config';
import type { ValidationError } from '../../lambda/domain/errors';

/** The messages of every problem `parseConfig` finds in `raw`; none for a config it takes. */
export function configProblems(raw: unknown): string[] {
  try {
    parseConfig(raw);
    return [];
  } catch (error) {
    return (error as ValidationError).problems.map((p) => p.message);
  }
}
