// Counters the server keeps for `ctl stats` and the Prometheus endpoint. Plain numbers on the hot
// path; the control layer turns them into metrics when asked.
export class ServerStats {
  readonly startedAt = Date.now();
  registrationsAccepted = 0;
  registrationsRejected = 0;
  authFailures = 0;
  requestsReceived = 0;
  responsesSent = 0;
  /** MESSAGEs forwarded to at least one contact or next hop. */
  messagesRelayed = 0;
  /** MESSAGEs put in the offline store (answered 202). */
  messagesStored = 0;
  /** Stored messages delivered (2xx) and removed. */
  messagesDelivered = 0;
  /** Stored messages their recipient refused (a final answer other than 2xx, 404, 408, 430, 480, 503): dropped. */
  messagesRefused = 0;
  /** MESSAGEs refused by the rate limit. */
  messagesRateLimited = 0;
}
