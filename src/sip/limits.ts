/** Bounds that protect the parser and the stream framer from hostile or broken peers. */
export interface ParseLimits {
  /** Whole message, start line to end of body, in bytes. Larger is answered with 513 (RFC 3261 21.5.14). */
  maxMessageSize: number;
  /** Number of header fields. */
  maxHeaders: number;
  /** One header line, folded continuations included, in bytes. */
  maxLineLength: number;
}

/**
 * 64 KiB matches the largest UDP datagram; 256 headers and 8 KiB lines are far above what real
 * user agents send (RFC 4475 longreq has about 40 headers and 600-octet lines).
 */
export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageSize: 65536,
  maxHeaders: 256,
  maxLineLength: 8192,
});

export function withDefaults(limits?: Partial<ParseLimits>): ParseLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}
