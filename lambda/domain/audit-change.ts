import type { AuditEntryView } from '../api/contract';

const shown = (value: unknown) =>
  value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value);

/**
 * What an audit entry changed, in one line: each field that differs before and after
 * (`group: test -> production`), or, for an entry with one side, that side (`group=production`).
 * `-` when nothing but a secret changed (a token rotated, a new enrollment key). The CLI and the
 * console's audit page both show it.
 */
export function changeText(entry: Pick<AuditEntryView, 'before' | 'after'>): string {
  const { before, after } = entry;
  if (before && after) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    return changed.length
      ? changed.map((k) => `${k}: ${shown(before[k])} -> ${shown(after[k])}`).join('; ')
      : '-';
  }
  const side = after ?? before;
  if (!side) return '-';
  const fields = Object.entries(side).filter(([, value]) => value !== undefined);
  return fields.length
    ? `${after ? '' : 'was '}${fields.map(([k, v]) => `${k}=${shown(v)}`).join(' ')}`
    : '-';
}
