// Delivery of stored messages when their recipient comes back: on every new or updated binding (the
// location service's 'added' and 'updated' changes), the AOR's messages go out one at a time, oldest first, each as a MESSAGE
// from the original sender with a Date header of its arrival (RFC 3261 20.17; RFC 3428 leaves it to
// the proxy to say when it was sent). A message is removed after a 2xx. An answer that means "not
// reachable now" (404 from a stale binding's address, 408, 430, 480, 503, and a transport failure, which the proxy turns into 503: the
// same STORE_ON list that stored it) keeps it, and the next attempt is on the next registration or
// after the retry interval. Any other final answer is a refusal of this message (RFC 3261 8.1.3.5,
// 21.4: the request must not be repeated unchanged): it is dropped, logged and counted, and the
// next message goes, so one message the device will not take never blocks the ones behind it.
import type { EventEmitter } from 'node:events';
import type { LocationEvents } from '../registrar/location-service.js';
import { createRequest } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import type { OfflineMessage } from '../store/types.js';
import type { TimerHandle, TimerHeap } from '../transaction/timer-heap.js';
import type { TransportLogger } from '../transport/types.js';
import { STORE_ON } from './message-policy.js';
import type { OfflineStore } from './offline-store.js';

export interface OfflineDeliveryOptions {
  store: OfflineStore;
  location: EventEmitter<LocationEvents> & { bindingsOf(aor: string): readonly unknown[] };
  /** Sends a MESSAGE to every binding of its To AOR; resolves with the final status. */
  send(request: SipMessage, aor: string): Promise<number>;
  timers: TimerHeap;
  /** Seconds before a failed delivery is tried again while the user stays registered. */
  retrySeconds: number;
  log: TransportLogger;
  /** Counted once per message delivered. */
  onDelivered?: (message: OfflineMessage) => void;
  /** Counted once per message dropped because its recipient refused it (the final status). */
  onRefused?: (message: OfflineMessage, status: number) => void;
}

/**
 * The MESSAGE that delivers a stored one: new Call-ID and tags, the original From, body, type and
 * the other headers describing the body (Content-Encoding, Content-Language, Content-Disposition,
 * Subject, ...), and the original time.
 */
export function deliveryRequest(m: OfflineMessage): SipMessage {
  return createRequest({
    method: 'MESSAGE', uri: m.aor, from: m.from, to: `<${m.aor}>`,
    headers: [['Date', new Date(m.receivedAt).toUTCString()], ...(m.headers ?? [])],
    body: m.body,
    ...(m.contentType === undefined ? {} : { contentType: m.contentType }),
  });
}

export class OfflineDelivery {
  /** AORs being delivered now, and whether another pass was asked for meanwhile. */
  private readonly running = new Map<string, boolean>();
  private readonly retries = new Map<string, TimerHandle>();
  /** Nothing goes out before start(): a server whose start fails later must not have delivered anything. */
  private started = false;

  constructor(private readonly o: OfflineDeliveryOptions) {
    // Any binding that is added or updated shows the device there now: a new registration, but also
    // a refresh or an RFC 5626 flow registered again on a new connection (replacing its binding after
    // a server restart or a network change), where nothing is 'added'.
    o.location.on('change', ({ type, binding }) => {
      if (this.started && type !== 'removed') this.flush(binding.aor);
    });
  }

  /** Delivers what is waiting for users who are registered now (after a restart). */
  start(): void {
    this.started = true;
    for (const aor of [...this.o.store.aors()]) if (this.o.location.bindingsOf(aor).length > 0) this.flush(aor);
  }

  /**
   * A message was just stored for `aor`. When the AOR still has bindings (its devices failed to
   * answer, or its flow is gone until the UA registers again), nothing else would send it while they
   * stay registered: it is tried again after the retry interval, like a failed delivery.
   */
  stored(aor: string): void {
    if (this.started && this.o.location.bindingsOf(aor).length > 0 && !this.running.has(aor) && !this.retries.has(aor)) this.scheduleRetry(aor);
  }

  close(): void {
    this.started = false;
    for (const t of this.retries.values()) t.cancel();
    this.retries.clear();
  }

  flush(aor: string): void {
    if (this.o.store.pending(aor).length === 0) return;
    if (this.running.has(aor)) {
      this.running.set(aor, true);
      return;
    }
    this.retries.get(aor)?.cancel();
    this.retries.delete(aor);
    this.running.set(aor, false);
    this.deliverAll(aor).catch((err: unknown) => this.o.log.warn({ aor, err: String(err) }, 'offline delivery failed'))
      .finally(() => {
        const again = this.running.get(aor) === true;
        this.running.delete(aor);
        if (again) this.flush(aor);
      });
  }

  private async deliverAll(aor: string): Promise<void> {
    for (;;) {
      // Expired messages go unsent (the sweep runs at most hourly; README: kept for --offline-expiry).
      await this.o.store.dropExpired(aor);
      const next = this.o.store.pending(aor)[0];
      if (next === undefined) return;
      // Its original request may still reach the device; release() brings us back (oldest first stays true).
      if (this.o.store.isHeld(next.id)) return;
      if (this.o.location.bindingsOf(aor).length === 0) return;
      // The body is read from the store only now (memory holds a summary of each waiting message).
      const m = await this.o.store.read(next.id);
      if (m === undefined) {
        // Its row is gone (removed meanwhile, or its write failed): nothing to send.
        await this.o.store.remove(next.id);
        continue;
      }
      const status = await this.o.send(deliveryRequest(m), aor);
      if (STORE_ON.has(status) || status < 200) {
        this.scheduleRetry(aor);
        return;
      }
      // Removed (durably) before the next one goes: a device never gets a message twice after its 2xx,
      // nor the same refused request again.
      await this.o.store.remove(m.id);
      if (status < 300) {
        this.o.onDelivered?.(m);
        continue;
      }
      this.o.log.warn({ aor, id: m.id, from: m.from, status }, 'stored message refused by its recipient: dropped');
      this.o.onRefused?.(m, status);
    }
  }

  private scheduleRetry(aor: string): void {
    this.retries.get(aor)?.cancel();
    this.retries.set(aor, this.o.timers.schedule(this.o.retrySeconds * 1000, () => {
      this.retries.delete(aor);
      this.flush(aor);
    }));
  }
}
