// Counters the server keeps for `ctl stats` and the Prometheus endpoint. Plain numbers on the hot
// path; the control layer turns them into metrics when asked.
export class ServerStats {
  readonly startedAt = Date.now();
  registrationsAccepted = 0;
  registrationsRejected = 0;
  authFailures = 0;
  requestsReceived = 0;
  responsesSent = 0;
}
