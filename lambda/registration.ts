import type { Answer } from './api/contract';
import type { AgentRecord } from './domain/agent';
import { type EnrollmentSettings, enrollmentGroup } from './domain/enrollment-settings';
import { ConflictError, UnauthorizedError } from './domain/errors';
import { registerSchema } from './domain/requests';
import { hashSecret, newSecret, sameHash } from './domain/secrets';
import { parseOrThrow } from './domain/validation';
import { createLogger, type Logger } from './logger';
import type { Clock, EnrollmentKeyStore, NewAgentStore } from './ports';

export interface RegistrationDeps {
  /** Where each group's enrollment key hash is read (the state store). */
  readonly keys: EnrollmentKeyStore;
  readonly agents: NewAgentStore;
  readonly clock: Clock;
  /** What registering takes of the config (`enrollmentSettings`). */
  readonly settings: EnrollmentSettings;
  /** Where the use case and the HTTP door in front of it log. @default JSON lines on stdout */
  readonly log?: Logger;
}

/** Creates `agent` in `agents`, or refuses (409) an id that is taken: for an agent that enrolls and one an operator adds. */
export async function createAgent(agents: NewAgentStore, agent: AgentRecord): Promise<void> {
  if (!(await agents.create(agent))) {
    throw new ConflictError(`agentId ${agent.agentId} is taken`, 'agentId');
  }
}

/**
 * The register use case, over the enrollment key hashes and the agent store's create alone: all the
 * register Lambda serves, so its bundle holds neither the rest of the stores nor the operators' use
 * cases ({@link WatcherService.register} calls this one, and every other door calls it there).
 */
export class Registration {
  readonly log: Logger;

  constructor(private readonly deps: RegistrationDeps) {
    this.log = deps.log ?? createLogger();
  }

  /** `POST /v1/register`: an agent enrolls itself with its group's enrollment key. */
  async register(enrollmentKey: string | undefined, body: unknown): Promise<Answer<'POST /v1/register'>> {
    const input = parseOrThrow(registerSchema, body);
    if (!enrollmentKey) throw new UnauthorizedError('the group enrollment key is required as bearer token');
    // The key first: a caller without one learns nothing of the config (an unknown group has no key).
    const stored = await this.deps.keys.getEnrollmentKeyHash(input.group);
    if (!sameHash(stored, hashSecret(enrollmentKey))) {
      throw new UnauthorizedError(`the enrollment key is not valid for group ${input.group}`);
    }
    const approval = enrollmentGroup(this.deps.settings, input.group).autoApprove ? 'approved' : 'pending';
    const token = newSecret('hbw_');
    await createAgent(this.deps.agents, {
      agentId: input.agentId,
      group: input.group,
      cluster: input.cluster,
      approval,
      tokenHash: hashSecret(token),
      createdAt: this.deps.clock.now(),
    });
    return { agentId: input.agentId, token, approval };
  }
}
