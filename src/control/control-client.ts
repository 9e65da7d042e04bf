// The control API's client (used by `simplesip ctl`): JSON requests, and the location dump as a
// stream that the caller pipes on as it arrives.
import { request, type IncomingMessage } from 'node:http';
import { formatControlAddress, type ControlAddress } from './address.js';

/** The server is not running, or not at that address. */
export class ControlUnreachableError extends Error {}

/** The server answered with an error status; `message` is its explanation. */
export class ControlApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ETIMEDOUT: 'timed out',
};

export class ControlClient {
  /** `timeoutMs`: longest silence on the connection, also while a dump streams. */
  constructor(readonly address: ControlAddress, private readonly timeoutMs = 10000) {}

  get(path: string): Promise<unknown> {
    return this.json('GET', path);
  }

  /** Sends `body` as JSON and resolves with the parsed answer; rejects with ControlApiError on an error status. */
  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.open(method, path, body);
    const text = await readText(res);
    if (res.statusCode !== undefined && res.statusCode >= 400) throw this.apiError(res.statusCode, text);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ControlApiError(502, `the control API sent something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /**
   * A successful response of `contentType` left unread, for the caller to stream; rejects like json()
   * otherwise. Another type is another web server's answer (`ctl ul show --json` piped it through as
   * if it were the dump, and exited 0).
   */
  async stream(path: string, contentType: string): Promise<IncomingMessage> {
    const res = await this.open('GET', path);
    if (res.statusCode !== undefined && res.statusCode >= 400) throw this.apiError(res.statusCode, await readText(res));
    const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== contentType) {
      const first = (await readText(res)).replace(/\s+/g, ' ').trim().slice(0, 120);
      throw new ControlApiError(502,
        `${formatControlAddress(this.address)} is not the simplesip control API (it answered ${type === '' ? 'without a content type' : type}${first === '' ? '' : `: ${first}`}); check --control HOST:PORT`);
    }
    return res;
  }

  /**
   * An error status with our JSON shape (`{"error": ...}`) is the server's answer. Anything else
   * comes from something that is not simplesip's control API (another web server on that port): it
   * is reported as such with status 502, never as the 404 "not found" a script would act on.
   */
  private apiError(status: number, text: string): ControlApiError {
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') return new ControlApiError(status, parsed.error);
    } catch {
      // Not our JSON error shape.
    }
    const first = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    return new ControlApiError(502,
      `${formatControlAddress(this.address)} is not the simplesip control API (it answered HTTP ${status}${first === '' ? '' : `: ${first}`}); check --control HOST:PORT`);
  }

  /** What a connection failure means for the operator, as one sentence. */
  private unreachable(err: unknown): ControlUnreachableError {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = (code !== undefined ? REASONS[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
    return new ControlUnreachableError(
      `cannot reach the simplesip server control API at ${formatControlAddress(this.address)}: ${reason} (is the server running? --control HOST:PORT or --config FILE)`);
  }

  private open(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.address.host,
        port: this.address.port,
        method,
        path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      }, resolve);
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.unreachable(err)));
      req.end(payload);
    });
  }
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
