import * as v from 'valibot';

/**
 * How the agents table is billed in the cloud. Heartbeats are a steady stream of writes, the
 * textbook case for provisioned capacity with auto scaling; on demand (the default) costs more per
 * write and takes any surge at once. The other tables stay on demand: they are small and bursty.
 */
export const CAPACITY_MODES = ['on-demand', 'provisioned'] as const;
export type CapacityMode = (typeof CAPACITY_MODES)[number];

/** The most a table takes per second by default (the per-table quota of an AWS account). */
const TABLE_QUOTA_UNITS = 40_000;

const units = v.pipe(
  v.number('must be a number'),
  v.integer('must be a whole number'),
  v.minValue(1, 'must be at least 1 unit'),
  v.maxValue(TABLE_QUOTA_UNITS, `must be at most ${TABLE_QUOTA_UNITS} units (the per-table quota)`),
);

/** Where auto scaling keeps the agents table, and how full it lets it run. */
export interface ProvisionedCapacity {
  readonly minWriteUnits: number;
  readonly maxWriteUnits: number;
  readonly minReadUnits: number;
  readonly maxReadUnits: number;
  /** The share of provisioned units auto scaling aims to use (0.7: it keeps 30% headroom). */
  readonly targetUtilization: number;
}

export type Capacity =
  | { readonly mode: 'on-demand' }
  | { readonly mode: 'provisioned'; readonly agentsTable: ProvisionedCapacity };

export const CAPACITY_DEFAULTS: ProvisionedCapacity = {
  minWriteUnits: 5,
  maxWriteUnits: 10_000,
  minReadUnits: 5,
  maxReadUnits: 10_000,
  targetUtilization: 0.7,
};

/** The agents table's settings, as the schema below reads them. */
type UnitBounds = Partial<
  Record<'minWriteUnits' | 'maxWriteUnits' | 'minReadUnits' | 'maxReadUnits' | 'targetUtilization', number>
>;

/** The table's most units of a kind are at least its fewest (each as given, or its default). */
function maxAtLeastMin(kind: 'Write' | 'Read') {
  const min = `min${kind}Units` as const;
  const max = `max${kind}Units` as const;
  return v.forward(
    v.partialCheck<UnitBounds, [[typeof min], [typeof max]], UnitBounds, string>(
      [[min], [max]],
      (t) => (t[max] ?? CAPACITY_DEFAULTS[max]) >= (t[min] ?? CAPACITY_DEFAULTS[min]),
      `must be at least ${min}`,
    ),
    [max],
  );
}

/** `capacity` in the config (top level only; local mode has no billing and ignores it). */
export const capacitySchema = v.pipe(
  v.strictObject(
    {
      mode: v.picklist(CAPACITY_MODES, 'must be on-demand or provisioned'),
      agentsTable: v.optional(
        v.pipe(
          v.strictObject(
            {
              minWriteUnits: v.optional(units),
              maxWriteUnits: v.optional(units),
              minReadUnits: v.optional(units),
              maxReadUnits: v.optional(units),
              targetUtilization: v.optional(
                v.pipe(
                  v.number('must be a number'),
                  v.minValue(0.2, 'must be at least 0.2'),
                  v.maxValue(0.9, 'must be at most 0.9'),
                ),
              ),
            },
            'must be an object',
          ),
          maxAtLeastMin('Write'),
          maxAtLeastMin('Read'),
        ),
      ),
    },
    'must be an object with mode',
  ),
  v.forward(
    v.partialCheck(
      [['mode'], ['agentsTable']],
      (c) => c.mode === 'provisioned' || c.agentsTable === undefined,
      'applies only with mode provisioned',
    ),
    ['agentsTable'],
  ),
);

/** The capacity the config asks for, its defaults filled in. */
export function capacityOf(raw: v.InferOutput<typeof capacitySchema> | undefined): Capacity {
  if (raw?.mode !== 'provisioned') return { mode: 'on-demand' };
  return { mode: 'provisioned', agentsTable: { ...CAPACITY_DEFAULTS, ...raw.agentsTable } };
}
