// Names alone, without valibot: the agent's small bundle checks them too (cli/agent/config.ts).

/** `A-Z a-z 0-9 . _ : -`, the characters of agent, group and cluster names. */
export const NAME_PATTERN = /^[A-Za-z0-9._:-]+$/;
