// The client library's public surface (README "Client").
export { UserAgent } from './user-agent.js';
export { SipClientError, type SipClientErrorCode } from './errors.js';
export type {
  CloseResult, IncomingMessage, PresenceEvent, PresenceSetting, RegisteredEvent, SendResult, SubscriptionStatus, TypingEvent,
  UnregisteredEvent, UserAgentEvents, UserAgentOptions,
} from './types.js';
export type { PortRange } from './local-socket.js';
export type { BackoffOptions } from './backoff.js';
export type { DnsLookup, NaptrRecord, ServerTarget, SrvRecord } from './resolver.js';
export { resolveServer } from './resolver.js';
export { defaultStateDir } from './instance-id.js';
