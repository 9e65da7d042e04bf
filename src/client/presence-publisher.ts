// Publishing our presence (RFC 3903 with a PIDF body, RFC 3863): an initial PUBLISH with the
// document, refreshes with SIP-If-Match and no body before the granted expiry (4.1, 4.4), a modify
// with SIP-If-Match and the new document, a new initial publication after 412 (6: the entity tag
// is unknown to the server), and removal with Expires: 0 and SIP-If-Match (4.6).
import { newCallId, newTag } from '../sip/builder.js';
import { composePidf, PIDF_CONTENT_TYPE } from '../presence/pidf.js';
import type { AuthenticatingSender } from './auth-retry.js';
import { isSuccess, type Outcome } from './outcome.js';
import { later, refreshDelayMs } from './refresh-timer.js';
import type { RequestBuilder } from './request-builder.js';
import type { PresenceSetting } from './types.js';

export class PresencePublisher {
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 0;
  private etag: string | undefined;
  private document: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** publish() calls and refreshes in flight: what they get decides what unpublish() removes. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly builder: RequestBuilder,
    private readonly sender: AuthenticatingSender,
    private readonly expires: number,
    private readonly onRefreshFailed: (outcome: Outcome) => void,
  ) {}

  get entityTag(): string | undefined {
    return this.etag;
  }

  /** Publishes `setting` (initial, or a modify of the live publication). */
  publish(setting: PresenceSetting): Promise<Outcome> {
    return this.tracked(this.publishNow(setting));
  }

  private async publishNow(setting: PresenceSetting): Promise<Outcome> {
    this.document = composePidf({
      entity: this.builder.identity.aor, basic: setting.basic, note: setting.note, activity: setting.activity,
      contact: this.builder.contactUri(), timestamp: new Date(),
    });
    let outcome = await this.send(this.expires, this.document);
    // RFC 3903 6: 412 means the server no longer knows our entity tag: publish anew.
    if (outcome.status === 412) {
      this.etag = undefined;
      outcome = await this.send(this.expires, this.document);
    }
    return outcome;
  }

  /**
   * RFC 3903 4.5: removes the publication; nothing to do when there is none. A PUBLISH in flight is
   * waited for first: its answer may bring the entity-tag (the first one) or a new one (a modify).
   */
  async unpublish(): Promise<Outcome | undefined> {
    clearTimeout(this.timer);
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    clearTimeout(this.timer);
    if (this.etag === undefined) return undefined;
    const outcome = await this.send(0, undefined);
    this.etag = undefined;
    this.document = undefined;
    return outcome;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** `operation`, kept in inFlight until it settles. */
  private tracked<T>(operation: Promise<T>): Promise<T> {
    const settled: Promise<void> = operation.then(() => undefined, () => undefined).then(() => { this.inFlight.delete(settled); });
    this.inFlight.add(settled);
    return operation;
  }

  private refresh(): Promise<void> {
    return this.tracked(this.refreshNow());
  }

  private async refreshNow(): Promise<void> {
    let outcome = await this.send(this.expires, undefined);
    if (outcome.status === 412 && this.document !== undefined) {
      this.etag = undefined;
      outcome = await this.send(this.expires, this.document);
    }
    if (!isSuccess(outcome)) this.onRefreshFailed(outcome);
  }

  private async send(expires: number, body: string | undefined): Promise<Outcome> {
    clearTimeout(this.timer);
    const headers: Array<[string, string]> = [['Event', 'presence'], ['Expires', String(expires)]];
    if (this.etag !== undefined) headers.push(['SIP-If-Match', this.etag]);
    const request = this.builder.build({
      method: 'PUBLISH', uri: this.builder.identity.aor, to: `<${this.builder.identity.aor}>`, fromTag: this.fromTag,
      callId: this.callId, cseq: ++this.cseq, contact: false, headers, body,
      contentType: body === undefined ? undefined : PIDF_CONTENT_TYPE,
    });
    const outcome = await this.sender.send(request, () => ++this.cseq);
    const minExpires = outcome.response?.minExpires();
    // RFC 3903 4.3 / RFC 3261 10.2.8: ask again with at least Min-Expires.
    if (outcome.status === 423 && minExpires !== undefined && minExpires > expires && expires > 0) return this.send(minExpires, body);
    if (isSuccess(outcome) && expires > 0) {
      this.etag = outcome.response?.sipETag() ?? this.etag;
      const granted = outcome.response?.expires() ?? expires;
      this.timer = later(refreshDelayMs(granted), () => void this.refresh());
    }
    return outcome;
  }
}
