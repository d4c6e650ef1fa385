import { readFileSync, writeFileSync } from 'node:fs';
import type { Goodbye } from './heartbeat-sender';

/**
 * What `hbw agent run` and `hbw agent goodbye` share through the state file (`--state-file`): the
 * boot the agent runs in, the last seq sent in it, and a goodbye in force. With it, a goodbye sent by
 * another process is a heartbeat of the same boot with the next seq, and the running agent keeps
 * saying it until then instead of ending the away with its next heartbeat.
 */
export interface BootState {
  readonly bootId: string;
  readonly seq: number;
  /** ISO time the goodbye in force ends. */
  readonly awayUntil?: string;
  readonly reason?: string;
}

/** Where the state lives: read and written whole, before each heartbeat. */
export interface BootStateStore {
  read(): BootState | undefined;
  write(state: BootState): void;
}

/** The state in `path`; `undefined` when there is none yet or it is not one (then the agent starts over). */
export function readBootState(path: string): BootState | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const s = parsed as Partial<Record<keyof BootState, unknown>> | null;
  if (typeof s?.bootId !== 'string' || !Number.isInteger(s.seq) || (s.seq as number) < 0) return undefined;
  return {
    bootId: s.bootId,
    seq: s.seq as number,
    ...(typeof s.awayUntil === 'string' ? { awayUntil: s.awayUntil } : {}),
    ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
  };
}

/**
 * The state file at `path`. Written in place, so a file the agent's user owns stays so when root's
 * `hbw agent goodbye` writes it; an error is thrown to the caller, who says what to fix.
 */
export function bootStateFile(path: string): BootStateStore {
  return {
    read: () => readBootState(path),
    write: (state) => writeFileSync(path, `${JSON.stringify(state)}\n`, { mode: 0o600 }),
  };
}

/** The goodbye in force in `state` for `bootId` at `now`, with the seconds left; `undefined` when none. */
export function goodbyeInForce(
  state: BootState | undefined,
  bootId: string,
  now: number,
): Goodbye | undefined {
  if (state?.bootId !== bootId || state.awayUntil === undefined) return undefined;
  const left = Math.ceil((Date.parse(state.awayUntil) - now) / 1000);
  if (!(left >= 1)) return undefined;
  return { backInSeconds: left, ...(state.reason === undefined ? {} : { reason: state.reason }) };
}
