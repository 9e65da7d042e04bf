/**
 * RFC 3261 timer values (17.1.1.1, 17.1.2.1, 17.2.1, 17.2.2 and Table 4 of Appendix A), with the
 * RFC 6026 (section 8.4) timers L and M. Every derived timer is a function of T1, T2 and T4 so a
 * deployment that changes T1 (e.g. on a high-latency link) changes them all consistently.
 */

/** Round-trip time estimate (RFC 3261 17.1.1.1): 500 ms. */
export const DEFAULT_T1 = 500;
/** Maximum retransmit interval for non-INVITE requests and INVITE responses: 4 s. */
export const DEFAULT_T2 = 4000;
/** Maximum duration a message remains in the network: 5 s. */
export const DEFAULT_T4 = 5000;

export interface TimerSettings {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
}

export function timerSettings(options: Partial<TimerSettings> = {}): TimerSettings {
  const settings = {
    t1: options.t1 ?? DEFAULT_T1,
    t2: options.t2 ?? DEFAULT_T2,
    t4: options.t4 ?? DEFAULT_T4,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`timer ${name} must be a positive number of ms, got ${value}`);
  }
  return settings;
}

/** Timers B, F, H, J (unreliable), L and M: 64*T1 (RFC 3261 Table 4, RFC 6026 8.4). */
export function transactionTimeout(s: TimerSettings): number {
  return 64 * s.t1;
}

/**
 * Timer D (RFC 3261 17.1.1.2): at least 32 s over unreliable transports, 0 over reliable ones.
 * 32 s is a fixed figure in the RFC, not a multiple of T1; keep it no shorter than 64*T1 so that a
 * larger T1 still covers every retransmission of the final response.
 */
export function timerD(s: TimerSettings, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, transactionTimeout(s));
}

/** Timers I (17.2.1) and K (17.1.2.2): T4 over unreliable transports, 0 over reliable ones. */
export function timerT4OrZero(s: TimerSettings, reliable: boolean): number {
  return reliable ? 0 : s.t4;
}

/** Timer J (17.2.2): 64*T1 over unreliable transports, 0 over reliable ones. */
export function timerJ(s: TimerSettings, reliable: boolean): number {
  return reliable ? 0 : transactionTimeout(s);
}
