import * as v from 'valibot';
import { unknownGroupError } from './errors';
import { checkInput, describeProblems } from './validation';

/** What registration reads of a configured group: whether its agents are approved as they enroll. */
export interface EnrollmentGroup {
  readonly autoApprove: boolean;
}

/**
 * What the register path reads of the config, and nothing more: the configured groups, in the
 * config's order, and whether each approves its agents as they enroll. The register function gets
 * this (`HBW_ENROLLMENT_SETTINGS`), not the whole config, so it carries neither the config's schema
 * nor its policies.
 */
export interface EnrollmentSettings {
  readonly groups: Readonly<Record<string, EnrollmentGroup>>;
}

const settingsSchema = v.strictObject({
  groups: v.record(v.string(), v.strictObject({ autoApprove: v.boolean('must be true or false') })),
});

/** The enrollment settings of a config (whose groups' settings are already resolved). */
export function enrollmentSettings(config: {
  readonly groups: Readonly<Record<string, EnrollmentGroup>>;
}): EnrollmentSettings {
  return {
    groups: Object.fromEntries(
      Object.entries(config.groups).map(([name, g]) => [name, { autoApprove: g.autoApprove }]),
    ),
  };
}

/** Enrollment settings as JSON wrote them, checked; throws naming each field at fault. */
export function parseEnrollmentSettings(raw: unknown): EnrollmentSettings {
  const checked = checkInput(settingsSchema, raw, { subject: 'enrollment settings' });
  if (!checked.ok) throw new Error(describeProblems(checked.problems));
  return checked.output;
}

/** What registration reads of `group`, or a {@link unknownGroupError} when no such group is configured. */
export function enrollmentGroup(settings: EnrollmentSettings, group: string): EnrollmentGroup {
  if (!Object.hasOwn(settings.groups, group)) throw unknownGroupError(group, settings.groups);
  return settings.groups[group]!;
}
