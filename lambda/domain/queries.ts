import * as v from 'valibot';
import { ALERT_STATUS_FILTERS } from './alert';
import { PAGE_QUERY, type QueryOf, stateFilterSchema } from './paging';
import { agentIdSchema, groupNameSchema } from './validation';

// The query and path parameters of the admin routes (the bodies are in ./requests, which the ingest
// function also reads: these stay out of its bundle).

/** The query of `GET /v1/agents`, as strings: an empty parameter is taken as absent. */
export const agentListQuerySchema = v.object({
  group: v.optional(groupNameSchema),
  cluster: v.optional(groupNameSchema),
  parent: v.optional(agentIdSchema),
  state: v.optional(stateFilterSchema),
  ...PAGE_QUERY,
});
export type AgentListQuery = QueryOf<typeof agentListQuerySchema>;

/** The query of `GET /v1/alerts`. */
export const alertListQuerySchema = v.object({
  status: v.optional(v.picklist(ALERT_STATUS_FILTERS, `must be one of ${ALERT_STATUS_FILTERS.join(', ')}`)),
  group: v.optional(groupNameSchema),
  agentId: v.optional(agentIdSchema),
});

export const alertIdSchema = v.pipe(
  v.string('must be a string'),
  v.minLength(1, 'must not be empty'),
  v.maxLength(256, 'must be at most 256 characters'),
  v.regex(/^[A-Za-z0-9._:*-]+$/, 'is not an alert id'),
);
