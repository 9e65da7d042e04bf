// The datagram a response arrived in, kept beside the parsed message so that a proxy can relay it
// with its own Via cut out of the bytes instead of serializing the message again (RFC 3261 16.7
// steps 3 and 9: the rest goes on unchanged).
import type { SipMessage } from '../sip/message.js';

/** Weak: the bytes live as long as the parsed message, no longer. */
const received = new WeakMap<SipMessage, Buffer>();

/**
 * Records `data` as the bytes of `message`. Only for a datagram: it is the message exactly and Node
 * gives every datagram a buffer of its own, while a stream's buffers may be reused.
 */
export function noteReceivedBytes(message: SipMessage, data: Buffer): void {
  received.set(message, data);
}

/** The bytes `message` arrived as, when it came in a datagram and was recorded. */
export function receivedBytes(message: SipMessage): Buffer | undefined {
  return received.get(message);
}
