// The times the README promises, as formulas the tests check against.

/**
 * Longest life of a dead UDP contact (README, Registrar: dead UDP contacts). The source is probed
 * once it has been quiet for one interval; rounds come every interval, so the first probe starts at
 * most 2 intervals after the last sign of life, each probe fails after Timer F (64*T1), and the next
 * probe waits for the next round: 2I + F + 2(I + F) = 4I + 3F. Default: 4*60 + 3*32 = 336 s.
 */
export function deadContactBoundMs(probeIntervalSeconds: number, t1Ms = 500): number {
  return 4 * probeIntervalSeconds * 1000 + 3 * 64 * t1Ms;
}

/** Polls `check` every 50 ms until it holds, or throws `message` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
