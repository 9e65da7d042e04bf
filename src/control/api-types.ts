// The JSON bodies of the control API besides bindings (binding-view.ts): what `ctl ... --json`
// prints, so these shapes are a contract too.

/** GET /stats */
export interface StatsView {
  bindings: number;
  aors: number;
  registrationsAccepted: number;
  registrationsRejected: number;
  authFailures: number;
  requestsReceived: number;
  responsesSent: number;
  transactions: { server: number; client: number };
  /** Bytes, from process.memoryUsage(). */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  uptimeSeconds: number;
  /** ISO 8601 UTC. */
  startedAt: string;
  listeners: string[];
}

/** GET /users: one element. */
export interface UserView {
  /** USER@DOMAIN */
  user: string;
  username: string;
  domain: string;
  /** ISO 8601 UTC. */
  createdAt: string;
}
