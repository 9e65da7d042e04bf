// Prometheus metrics for GET /metrics. The SIP hot path only increments plain numbers in
// ServerStats; the values are read here, in collect() callbacks, when Prometheus scrapes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControlContext } from './context.js';

/** A registry of its own per control server (not prom-client's global one), so several servers in one process do not clash. */
export function createMetricsRegistry(context: ControlContext): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { stats, location } = context;

  // A counter set from an absolute value: reset, then add the current total.
  const total = (name: string, help: string, read: () => number): void => {
    new Counter({
      name, help, registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };

  new Counter({
    name: 'simplesip_registrations_total',
    help: 'REGISTER requests answered, by result (accepted: 200; rejected: any other final answer but the 401 challenge)',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: 'accepted' }, stats.registrationsAccepted);
      this.inc({ result: 'rejected' }, stats.registrationsRejected);
    },
  });
  total('simplesip_auth_failures_total', 'Digest authentication failures', () => stats.authFailures);
  total('simplesip_sip_requests_received_total', 'SIP requests received', () => stats.requestsReceived);
  total('simplesip_sip_responses_sent_total', 'SIP responses sent', () => stats.responsesSent);
  total('simplesip_messages_relayed_total', 'MESSAGE requests forwarded to contacts or next hops', () => stats.messagesRelayed);
  total('simplesip_messages_stored_total', 'MESSAGE requests put in the offline store (answered 202)', () => stats.messagesStored);
  total('simplesip_messages_delivered_total', 'Stored messages delivered (2xx) and removed', () => stats.messagesDelivered);
  total('simplesip_messages_refused_total', 'Stored messages refused by the recipient (a final answer that is not "try later") and dropped', () => stats.messagesRefused);
  total('simplesip_messages_rate_limited_total', 'MESSAGE requests refused by the per-sender rate limit (503)', () => stats.messagesRateLimited);
  const queueDelay = new Histogram({
    name: 'simplesip_udp_queue_delay_seconds',
    help: 'How long datagrams waited in the fullest UDP receive queue before the server read them (ten samples a second)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  context.queueDelay?.onSample((ms) => queueDelay.observe(ms / 1000));
  total('simplesip_udp_receive_drops_total', 'Datagrams the kernel dropped at the UDP sockets because their receive queue was full (Linux /proc/net/udp)',
    () => context.udpReceiveDrops?.() ?? 0);
  new Gauge({
    name: 'simplesip_offline_messages',
    help: 'Messages waiting in the offline store',
    registers: [registry],
    collect() {
      this.set(context.messages?.count ?? 0);
    },
  });

  new Gauge({
    name: 'simplesip_presence_publications',
    help: 'Live presence publications (PUBLISH, RFC 3903)',
    registers: [registry],
    collect() {
      this.set(context.presence?.counts().publications ?? 0);
    },
  });
  new Gauge({
    name: 'simplesip_presence_subscriptions',
    help: 'Subscriptions served by the presence agent, by event package',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      const counts = context.presence?.counts();
      this.set({ event: 'presence' }, counts?.subscriptions ?? 0);
      this.set({ event: 'presence.winfo' }, counts?.winfoSubscriptions ?? 0);
    },
  });
  new Counter({
    name: 'simplesip_presence_notifies_total',
    help: 'NOTIFY requests sent by the presence agent, by result (failed: error response, timeout or transport error; the subscription ends)',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = context.presence?.counts();
      this.inc({ result: 'delivered' }, (counts?.notifiesSent ?? 0) - (counts?.notifyFailures ?? 0));
      this.inc({ result: 'failed' }, counts?.notifyFailures ?? 0);
    },
  });

  new Gauge({
    name: 'simplesip_bindings',
    help: 'Contacts registered in the location service',
    registers: [registry],
    collect() {
      this.set(location.counts().bindings);
    },
  });
  new Gauge({
    name: 'simplesip_aors',
    help: 'Addresses of record with at least one binding',
    registers: [registry],
    collect() {
      this.set(location.counts().aors);
    },
  });
  new Gauge({
    name: 'simplesip_transactions',
    help: 'Open SIP transactions, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const open = context.transactions();
      this.set({ kind: 'server' }, open.server);
      this.set({ kind: 'client' }, open.client);
    },
  });
  return registry;
}
