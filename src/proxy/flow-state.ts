// RFC 5626 5.3: an outbound binding stays registered when its connection closes, but a request for
// it must not open a new connection (the UA is behind a NAT or firewall): it gets 430 Flow Failed.
// The transport reports closes; this remembers which connections of outbound bindings are gone.
import type { EventEmitter } from 'node:events';
import type { LocationEvents, LocationService } from '../registrar/location-service.js';
import type { TransportEvents } from '../transport/transport-manager.js';

/** The set of closed flows is swept once it reaches this size, then at twice the size a sweep left. */
const SWEEP_MIN = 256;

export class FlowState {
  private readonly closed = new Set<string>();
  private sweepAt = SWEEP_MIN;

  constructor(transport: EventEmitter<TransportEvents>, private readonly location: LocationService & EventEmitter<LocationEvents>) {
    // Made before any socket opens: every connection a binding names now is one of a previous
    // process (restored from storage), gone with it.
    for (const b of location.entries()) if (b.connectionId !== undefined) this.closed.add(b.connectionId);
    transport.on('connection-closed', (source) => {
      const id = source.connectionId;
      if (id === undefined || location.bindingsFrom(id).length === 0) return;
      this.closed.add(id);
      if (this.closed.size >= this.sweepAt) this.sweep();
    });
    // Forget a closed flow once no binding refers to it any more (re-registered on a new flow, or expired).
    location.on('change', ({ type, binding }) => {
      const id = binding.connectionId;
      if (type === 'removed' && id !== undefined && location.bindingsFrom(id).length === 0) this.closed.delete(id);
    });
  }

  isOpen(connectionId: string): boolean {
    return !this.closed.has(connectionId);
  }

  /** Closed flows remembered (a binding still names each of them, or did at its close). */
  get closedFlows(): number {
    return this.closed.size;
  }

  /**
   * A binding refreshed in place from a new flow (the UA reconnected and registered again) changes
   * its connection without a 'removed' event, so its old flow would stay here for ever: sweeps drop
   * the flows no binding names any more, amortized O(1) per close.
   */
  private sweep(): void {
    for (const id of this.closed) if (this.location.bindingsFrom(id).length === 0) this.closed.delete(id);
    this.sweepAt = Math.max(SWEEP_MIN, 2 * this.closed.size);
  }
}
