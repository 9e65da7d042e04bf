// Public surface of the pure message layer (see docs/internals.md).

export { SipParseError } from './errors.js';
export { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
export {
  formatHost, formatHostPort, formatUri, isSipUri, isTelUri, parseUri,
  type HostKind, type OtherUri, type SipUri, type TelUri, type Uri,
} from './uri.js';
export { uriEquals } from './uri-equals.js';
export { formatNameAddr, parseNameAddr, parseNameAddrList, type NameAddr } from './name-addr.js';
export { canonicalName, displayName, isListHeader } from './header-names.js';
export { formatVia, parseVia, type Via } from './headers/via.js';
export { formatCSeq, parseCSeq, type CSeq } from './headers/cseq.js';
export { parseContact, type Contact } from './headers/contact.js';
export { formatAuth, parseAuth, type Challenge, type Credentials } from './headers/auth.js';
export { parseEvent, parseSubscriptionState, type EventHeader, type SubscriptionState } from './headers/event.js';
export { formatMediaType, parseMediaType, type MediaType } from './headers/media-type.js';
export { SipMessage, type FromTo, type HeaderField, type RequestInit, type ResponseInit } from './message.js';
export { parseMessage } from './parser.js';
export { serialize } from './serializer.js';
export {
  createRequest, createResponse, MAGIC_COOKIE, newBranch, newCallId, newTag,
  type RequestOptions, type ResponseOptions,
} from './builder.js';
export { reasonPhrase } from './reason-phrases.js';
export { classifyDatagram, StreamFramer, type DatagramKind, type FrameEvent } from './framing.js';
export {
  bindingSuccessResponse, buildStunBindingSuccess, decodeXorMappedAddress, isStunMessage, parseStunBindingRequest,
  STUN_MAGIC_COOKIE, stunBindingSuccess, type StunBindingRequest,
} from './stun.js';
export { setViaParams, type ViaParams } from './via-rewrite.js';
