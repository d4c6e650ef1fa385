/** Where a group's notices go: SMS and email through SNS, its webhooks, or the console alone. */
export const CHANNELS = ['sms', 'email', 'webhook', 'console'] as const;
export type Channel = (typeof CHANNELS)[number];
