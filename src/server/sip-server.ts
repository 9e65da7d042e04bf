// The composition root of `simplesip server`: transports below, transactions above them, and the
// request handling of this server on top (RFC 3261 8.2 inspection, OPTIONS, and honest refusals
// for what later layers will serve).
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createResponse } from '../sip/builder.js';
import type { SipParseError } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import { formatHostPort, isSipUri } from '../sip/uri.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import type { ServerTransaction } from '../transaction/index.js';
import { TransportManager } from '../transport/transport-manager.js';
import type { ListenerInfo, SocketIdentity, TransportWarning } from '../transport/types.js';
import type { ServerConfig } from './config.js';
import { LocalIdentity } from './local-identity.js';
import { ALLOWED_METHODS, ACCEPTED_BODY_TYPES, SUPPORTED_EXTENSIONS } from './methods.js';
import {
  checkBodyType, checkExtensions, checkMethod, checkRegisterAor, checkSyntax, checkUriScheme, type Rejection,
} from './request-validation.js';
import { attachTracer } from './trace.js';

export class SipServer {
  readonly transport: TransportManager;
  readonly transactions: TransactionLayer;
  readonly identity: LocalIdentity;
  private listeners: ListenerInfo[] = [];

  /** `traceOut`: where `--trace` writes (standard output by default). */
  constructor(private readonly config: ServerConfig, private readonly log: Logger, traceOut: Writable = process.stdout) {
    this.identity = new LocalIdentity(config.domains);
    this.transport = new TransportManager({
      logger: log,
      symmetricResponses: config.symmetricResponses,
      tls: config.tlsCert && config.tlsKey ? { certFile: config.tlsCert, keyFile: config.tlsKey } : undefined,
      limits: { maxMessageSize: config.maxMessageSize },
      maxConnections: config.maxConnections,
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      udpBufferSize: config.udpBufferSize,
    });
    this.transactions = new TransactionLayer({ transport: this.transport });
    if (config.trace) attachTracer(this.transport, traceOut);

    this.transport.on('message', (msg: SipMessage, source: SocketIdentity) => this.onMessage(msg, source));
    this.transport.on('malformed', (err: SipParseError, data: Buffer, source: SocketIdentity) =>
      this.onMalformed(err, data, source));
    this.transactions.on('request', (tx: ServerTransaction, req: SipMessage, source: SocketIdentity) =>
      this.onRequest(tx, req, source));
    this.transactions.on('cancel', (cancelTx: ServerTransaction, inviteTx: ServerTransaction | undefined) =>
      this.onCancel(cancelTx, inviteTx));
    this.transactions.on('malformed', (msg: SipMessage, source: SocketIdentity, err: SipParseError) =>
      this.log.info({ source: describeSource(source), reason: err.reason }, 'dropped a message that matches no transaction'));
    this.transport.on('warning', (w: TransportWarning) => this.log.warn({ code: w.code }, w.message));
    this.transactions.on('stray-response', (res: SipMessage, source: SocketIdentity) =>
      this.log.info({ source: describeSource(source), status: res.status }, 'dropped a response that matches no transaction of ours'));
  }

  /** Open every configured socket; a failure closes those already open and rejects with its reason. */
  async start(): Promise<ListenerInfo[]> {
    try {
      for (const spec of this.config.listen) {
        const info = await this.transport.listen(spec);
        this.identity.addListener(info.address, info.port);
        this.listeners.push(info);
      }
    } catch (err) {
      await this.transport.close();
      throw err;
    }
    return this.listeners;
  }

  async stop(): Promise<void> {
    this.transactions.close();
    await this.transport.close();
  }

  private onMessage(msg: SipMessage, source: SocketIdentity): void {
    if (msg.kind === 'response') {
      this.transactions.receive(msg, source);
      return;
    }
    const rejection = checkSyntax(msg);
    if (rejection) {
      this.replyStateless(msg, source, rejection);
      return;
    }
    this.transactions.receive(msg, source);
  }

  /** RFC 3261 18.3 / 8.2: a request we could frame but not parse still gets its 400 (or 505, 513). */
  private onMalformed(err: SipParseError, data: Buffer, source: SocketIdentity): void {
    const partial = err.partial;
    if (partial?.kind === 'request' && partial.method !== 'ACK' && partial.hasHeader('via')) {
      this.log.info({ source: describeSource(source), reason: err.reason }, 'malformed request rejected');
      this.replyStateless(partial, source, { status: err.status, reason: err.reason, headers: [] });
      return;
    }
    this.log.warn({ source: describeSource(source), reason: err.reason, bytes: data.length },
      'dropped a malformed message that cannot be answered');
  }

  private onRequest(tx: ServerTransaction, request: SipMessage, source: SocketIdentity): void {
    const rejection = this.inspect(request);
    if (rejection) {
      this.replyInTransaction(tx, request, rejection.status, rejection.reason, rejection.headers);
      return;
    }
    if (request.method === 'OPTIONS') {
      this.replyInTransaction(tx, request, 200, 'OK', this.capabilityHeaders());
      return;
    }
    this.log.debug({ source: describeSource(source), method: request.method }, 'request not served yet');
    this.replyInTransaction(tx, request, 405, 'Method Not Allowed', [['Allow', ALLOWED_METHODS.join(', ')]]);
  }

  /**
   * RFC 3261 8.2 for requests addressed to us, 16.3 for those we would have to forward. This server
   * does not relay to foreign domains (no open relay): such requests are refused with 403 once
   * they pass the proxy's own checks.
   */
  private inspect(request: SipMessage): Rejection | undefined {
    const early = checkMethod(request) ?? checkUriScheme(request);
    if (early) return early;
    const uri = request.uri();
    if (!isSipUri(uri)) return undefined;
    if (!this.identity.isLocalDomain(uri.host)) {
      const ext = checkExtensions(request, 'proxy');
      if (ext) return ext;
      if (request.maxForwards() === 0) return { status: 483, reason: 'Too Many Hops', headers: [] };
      return { status: 403, reason: `Forbidden (relaying to ${uri.host} is not allowed)`, headers: [] };
    }
    return checkExtensions(request, 'uas')
      ?? checkRegisterAor(request)
      ?? (request.method === 'OPTIONS' ? checkBodyType(request) : undefined);
  }

  private onCancel(cancelTx: ServerTransaction, inviteTx: ServerTransaction | undefined): void {
    const cancel = cancelTx.request;
    if (!inviteTx) {
      // RFC 3261 9.2: nothing to cancel.
      this.replyInTransaction(cancelTx, cancel, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.replyInTransaction(cancelTx, cancel, 200, 'OK');
    this.replyInTransaction(inviteTx, inviteTx.request, 487, 'Request Terminated');
  }

  /** RFC 3261 11.2: what an OPTIONS answer tells about us. */
  private capabilityHeaders(): Array<[string, string]> {
    return [
      ['Allow', ALLOWED_METHODS.join(', ')],
      ['Accept', ACCEPTED_BODY_TYPES.join(', ')],
      ['Supported', SUPPORTED_EXTENSIONS.join(', ')],
    ];
  }

  private buildResponse(request: SipMessage, status: number, reason: string, headers: Array<[string, string]>): SipMessage {
    const response = createResponse(request, status, reason, { headers: [...headers, ['Server', this.config.serverName]] });
    return response;
  }

  private replyInTransaction(tx: ServerTransaction, request: SipMessage, status: number, reason: string,
    headers: Array<[string, string]> = []): void {
    tx.respond(this.buildResponse(request, status, reason, headers));
  }

  /** Answer outside any transaction: used when the request is too broken to match one (RFC 3261 17.2). */
  private replyStateless(request: SipMessage, source: SocketIdentity, rejection: Rejection): void {
    if (request.method === 'ACK') return;
    let response: SipMessage;
    try {
      response = this.buildResponse(request, rejection.status, rejection.reason, rejection.headers);
    } catch (err) {
      this.log.warn({ source: describeSource(source), reason: rejection.reason, err: String(err) },
        'cannot build an error response; request dropped');
      return;
    }
    this.transport.sendResponse(response, source).catch((err: unknown) =>
      this.log.warn({ source: describeSource(source), err: String(err) }, 'could not send error response'));
  }
}

export function describeSource(source: SocketIdentity): string {
  return `${source.protocol} ${formatHostPort(source.remote.address, source.remote.port)}`;
}
