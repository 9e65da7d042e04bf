// `import { UserAgent } from 'simplesip'`: the package's public API.
export * from './client/index.js';
export { composePidf, overallBasic, parsePidf, PidfError, type BasicStatus, type PresenceDocument, type PresenceTuple } from './presence/pidf.js';
export { composeIsComposing, parseIsComposing, type ComposingState, type IsComposing } from './messaging/is-composing.js';
export type { TransportProtocol } from './transport/types.js';
