import * as v from 'valibot';
import { ValidationError } from './errors';
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

/**
 * The refusal of a group the config does not name (`field` holds it), with the ones it does: the
 * same 400 `unknown_group` from whichever door, whichever use case.
 */
export function unknownGroupError(
  group: string,
  configured: Readonly<Record<string, unknown>>,
  field = 'group',
): ValidationError {
  return new ValidationError(
    `${field}: unknown group "${group}" (configured: ${Object.keys(configured).join(', ')})`,
    field,
    'unknown_group',
  );
}

/** What registration reads of `group`, or a {@link unknownGroupError} when no such group is configured. */
export function enrollmentGroup(settings: EnrollmentSettings, group: string): EnrollmentGroup {
  if (!Object.hasOwn(settings.groups, group)) throw unknownGroupError(group, settings.groups);
  return settings.groups[group]!;
}
