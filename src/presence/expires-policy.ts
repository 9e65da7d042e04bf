// How long a publication or subscription lives: RFC 3903 6 step 4 (PUBLISH) and RFC 6665 4.2.1.1
// (SUBSCRIBE) let the server shorten the requested interval and refuse a too short one with 423.
export interface ExpiresLimits {
  /** Shorter non-zero intervals get 423 Interval Too Brief with Min-Expires. */
  min: number;
  /** Longer intervals are shortened to this. */
  max: number;
  /** Interval when the request has no Expires: RFC 3903 8 and RFC 3856 6.4 both say 3600 for presence. */
  fallback: number;
}

export type ExpiresDecision = { kind: 'remove' } | { kind: 'too-brief'; min: number } | { kind: 'grant'; seconds: number };

/** Expires 0 always means remove (unpublish, unsubscribe), never 423. */
export function decideExpires(requested: number | undefined, limits: ExpiresLimits): ExpiresDecision {
  const seconds = requested ?? limits.fallback;
  if (seconds === 0) return { kind: 'remove' };
  if (seconds < limits.min) return { kind: 'too-brief', min: limits.min };
  return { kind: 'grant', seconds: Math.min(seconds, limits.max) };
}
