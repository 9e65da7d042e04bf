// The control API's endpoints (README "simplesip ctl" lists them with their answers).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { OfflineMessageView, StatsView, UserView } from './api-types.js';
import { toBindingView } from './binding-view.js';
import type { ControlContext } from './context.js';
import { HttpError, readJsonObject, sendJson, stringField } from './http-json.js';
import { checkContactUri, NameError, normalizeAor, normalizeDomain, normalizeUserAor, parseUserName, type UserName } from './names.js';
import { writeJsonArray } from './json-array-stream.js';
import { writeBindingDump } from './ul-dump.js';

export interface RouteEnv {
  context: ControlContext;
  metrics: Registry;
  dumpBatch: number;
}

export interface RouteCall {
  env: RouteEnv;
  req: IncomingMessage;
  res: ServerResponse;
  /** Decoded path segments captured by the route's pattern. */
  params: string[];
  query: URLSearchParams;
}

interface Route {
  method: string;
  path: RegExp;
  handle(call: RouteCall): Promise<void> | void;
}

const ROUTES: Route[] = [
  { method: 'GET', path: /^\/ul$/, handle: dumpLocation },
  { method: 'GET', path: /^\/ul\/([^/]+)$/, handle: showAor },
  { method: 'DELETE', path: /^\/ul\/([^/]+)$/, handle: removeBindings },
  { method: 'GET', path: /^\/users$/, handle: listUsers },
  { method: 'POST', path: /^\/users$/, handle: addUser },
  { method: 'DELETE', path: /^\/users\/([^/]+)$/, handle: removeUser },
  { method: 'PUT', path: /^\/users\/([^/]+)\/password$/, handle: setPassword },
  { method: 'GET', path: /^\/msg$/, handle: listMessages },
  { method: 'DELETE', path: /^\/msg\/([^/]+)$/, handle: removeMessage },
  { method: 'GET', path: /^\/presence\/([^/]+)$/, handle: showPresence },
  { method: 'GET', path: /^\/presence\/([^/]+)\/watchers$/, handle: listWatchers },
  { method: 'PUT', path: /^\/presence\/([^/]+)\/watchers\/([^/]+)$/, handle: setWatcherRule },
  { method: 'GET', path: /^\/stats$/, handle: showStats },
  { method: 'GET', path: /^\/metrics$/, handle: showMetrics },
];

/** The handler for a request, with its decoded path parameters; HttpError 404 or 405 when none. */
export function findRoute(method: string, pathname: string): { route: Route; params: string[] } {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const m = route.path.exec(pathname);
    if (!m) continue;
    if (route.method === method) {
      return { route, params: m.slice(1).map(decodeSegment) };
    }
    allowed.push(route.method);
  }
  if (allowed.length > 0) throw new HttpError(405, `${method} is not allowed on ${pathname}`, { allow: allowed.join(', ') });
  throw new HttpError(404, `no such endpoint: ${pathname}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad percent-encoding in the path: ${segment}`);
  }
}

/** A name from the request, parsed; a malformed one is the client's error (400). */
function nameParam<T>(parse: (text: string) => T, text: string): T {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof NameError) throw new HttpError(400, err.message);
    throw err;
  }
}

const aorParam = (text: string): string => nameParam(normalizeAor, text);
const userAorParam = (text: string): string => nameParam(normalizeUserAor, text);
const userParam = (text: string): UserName => nameParam(parseUserName, text);

async function dumpLocation({ env, res }: RouteCall): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  await writeBindingDump(env.context.location.entries(), res, env.dumpBatch);
}

function showAor({ env, res, params }: RouteCall): void {
  const aor = aorParam(params[0]);
  const bindings = env.context.location.lookup(aor);
  if (bindings.length === 0) throw new HttpError(404, `${aor} has no bindings`);
  const now = Date.now();
  sendJson(res, 200, bindings.map((b) => toBindingView(b, now)));
}

async function removeBindings({ env, res, params, query }: RouteCall): Promise<void> {
  const aor = aorParam(params[0]);
  const raw = query.get('contact');
  const contact = raw === null ? undefined : nameParam(checkContactUri, raw);
  const removed = await env.context.location.remove(aor, contact, 'admin');
  if (removed === 0) {
    throw new HttpError(404, contact === undefined ? `${aor} has no bindings` : `${aor} has no binding for ${contact}`);
  }
  sendJson(res, 200, { aor, removed });
}

function listUsers({ env, res, query }: RouteCall): void {
  const raw = query.get('domain');
  const domain = raw === null ? undefined : normalizeDomain(raw);
  const users = env.context.users.list(domain).map((u): UserView => ({
    user: `${u.username}@${u.domain}`,
    username: u.username,
    domain: u.domain,
    createdAt: new Date(u.createdAt).toISOString(),
  }));
  sendJson(res, 200, users);
}

async function addUser({ env, req, res }: RouteCall): Promise<void> {
  const body = await readJsonObject(req);
  const { username, domain } = userParam(stringField(body, 'user'));
  const outcome = await env.context.users.add(username, domain, stringField(body, 'password'));
  if (outcome === 'exists') throw new HttpError(409, `${username}@${domain} already exists`);
  // Added all the same (the operator may be about to restart with that --domain), but said plainly:
  // until then every REGISTER of this user gets 404.
  const warning = env.context.servesDomain?.(domain) === false
    ? `${domain} is not a domain this server serves: REGISTERs for ${username}@${domain} get 404 until it is started with --domain ${domain}`
    : undefined;
  sendJson(res, 201, warning === undefined ? { user: `${username}@${domain}` } : { user: `${username}@${domain}`, warning });
}

/**
 * The AORs a user's registrations and messages are kept under: `sip:` and `sips:` (the location
 * service keys them apart, RFC 3261 19.1.4), with the user part as the registrar writes it.
 */
function aorsOfUser(username: string, domain: string): string[] {
  const host = domain.includes(':') ? `[${domain}]` : domain;
  const aors: string[] = [];
  for (const scheme of ['sip', 'sips']) {
    try {
      aors.push(normalizeAor(`${scheme}:${username}@${host}`));
    } catch {
      aors.push(`${scheme}:${username}@${host}`);
    }
  }
  return aors;
}

/**
 * The user goes, and with him what only he could use: his bindings (removed as `ctl ul rm` does,
 * reason `admin`: requests are no longer forwarded to his devices, which could neither refresh nor
 * unregister them without credentials), his stored messages and his presence state (subscriptions
 * to and by him ended, publications and rules deleted): a user made later under the same name must
 * not receive or inherit them. The user is removed first, so no REGISTER of his gets in between.
 */
async function removeUser({ env, res, params }: RouteCall): Promise<void> {
  const { username, domain } = userParam(params[0]);
  if (!(await env.context.users.remove(username, domain))) {
    // A user added with escapes before they were normalised (`%64ave`) can still be removed as written.
    const written = nameParam((text) => parseUserName(text, true), params[0]);
    if (written.username === username || !(await env.context.users.remove(written.username, written.domain))) {
      throw new HttpError(404, `no such user: ${username}@${domain}`);
    }
    // Its AOR is the normalised one's (sip:dave@...): his bindings and messages are not this user's.
    sendJson(res, 200, { user: `${written.username}@${written.domain}`, bindings: 0, messages: 0 });
    return;
  }
  let bindings = 0;
  let messages = 0;
  for (const aor of aorsOfUser(username, domain)) {
    bindings += await env.context.location.remove(aor, undefined, 'admin');
    messages += (await env.context.messages?.removeAll(aor)) ?? 0;
    await env.context.presence?.forgetUser(aor);
  }
  sendJson(res, 200, { user: `${username}@${domain}`, bindings, messages });
}

async function setPassword({ env, req, res, params }: RouteCall): Promise<void> {
  const { username, domain } = userParam(params[0]);
  const password = stringField(await readJsonObject(req), 'password');
  if (!(await env.context.users.setPassword(username, domain, password))) {
    throw new HttpError(404, `no such user: ${username}@${domain}`);
  }
  sendJson(res, 200, { user: `${username}@${domain}` });
}

function roundTenth(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function showStats({ env, res }: RouteCall): void {
  const { stats, location } = env.context;
  const counts = location.counts();
  const memory = process.memoryUsage();
  const view: StatsView = {
    bindings: counts.bindings,
    aors: counts.aors,
    registrationsAccepted: stats.registrationsAccepted,
    registrationsRejected: stats.registrationsRejected,
    authFailures: stats.authFailures,
    requestsReceived: stats.requestsReceived,
    responsesSent: stats.responsesSent,
    transactions: env.context.transactions(),
    memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
    uptimeSeconds: Math.floor((Date.now() - stats.startedAt) / 1000),
    startedAt: new Date(stats.startedAt).toISOString(),
    listeners: env.context.listeners(),
    offlineMessages: env.context.messages?.count ?? 0,
    messagesRelayed: stats.messagesRelayed,
    messagesStored: stats.messagesStored,
    messagesDelivered: stats.messagesDelivered,
    messagesRefused: stats.messagesRefused,
    messagesRateLimited: stats.messagesRateLimited,
    udpQueueDelay: {
      lastMs: roundTenth(env.context.queueDelay?.lastMs ?? 0),
      maxLastMinuteMs: roundTenth(env.context.queueDelay?.maxLastMinuteMs ?? 0),
    },
    udpReceiveDrops: env.context.udpReceiveDrops?.() ?? null,
    presence: env.context.presence?.counts(),
  };
  sendJson(res, 200, view);
}

function offlineStore(env: RouteEnv): NonNullable<RouteEnv['context']['messages']> {
  const store = env.context.messages;
  if (store === undefined) throw new HttpError(404, 'this server has no offline message store');
  return store;
}

/**
 * The messages waiting when asked for, streamed, each body read from the store as its turn comes
 * (the server holds no bodies in memory): a thousand bodies of 32 KB each are 60 MB of JSON, which as
 * one string held the server for a quarter of a second.
 */
async function listMessages({ env, res, query }: RouteCall): Promise<void> {
  const raw = query.get('aor');
  const aor = raw === null ? undefined : aorParam(raw);
  const messages = offlineStore(env).messages(aor);
  res.writeHead(200, { 'content-type': 'application/json' });
  await writeJsonArray(messages, (m): OfflineMessageView => ({
    id: m.id,
    aor: m.aor,
    from: m.from,
    receivedAt: new Date(m.receivedAt).toISOString(),
    expiresAt: new Date(m.expiresAt).toISOString(),
    contentType: m.contentType ?? null,
    headers: m.headers ?? [],
    bytes: m.body.length,
    body: m.body.toString('utf8'),
  }), res);
}

async function removeMessage({ env, res, params }: RouteCall): Promise<void> {
  // Decimal digits only: Number() also reads 0x2, 3e0, 0b101 and ' 4 ', so a mistyped id removed another message.
  const id = /^[0-9]+$/.test(params[0]) ? Number(params[0]) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new HttpError(400, `not a message id: ${params[0]}`);
  if (!(await offlineStore(env).remove(id))) throw new HttpError(404, `no stored message ${id}`);
  sendJson(res, 200, { id });
}

function presenceAgent(env: RouteEnv): NonNullable<RouteEnv['context']['presence']> {
  const presence = env.context.presence;
  if (presence === undefined) throw new HttpError(404, 'this server has no presence agent');
  return presence;
}

function showPresence({ env, res, params }: RouteCall): void {
  sendJson(res, 200, presenceAgent(env).show(aorParam(params[0])));
}

function listWatchers({ env, res, params }: RouteCall): void {
  sendJson(res, 200, presenceAgent(env).watchers(aorParam(params[0])));
}

/** PUT {"decision": "allow" | "block"}: the operator's rule for one watcher (durable when answered). */
async function setWatcherRule({ env, req, res, params }: RouteCall): Promise<void> {
  // A rule is between two users: a bare domain would never match a subscription.
  const aor = userAorParam(params[0]);
  const watcher = userAorParam(params[1]);
  const decision = stringField(await readJsonObject(req), 'decision');
  if (decision !== 'allow' && decision !== 'block') throw new HttpError(400, `decision must be allow or block, not ${decision}`);
  await presenceAgent(env).setRule(aor, watcher, decision);
  sendJson(res, 200, { aor, watcher, decision });
}

async function showMetrics({ env, res }: RouteCall): Promise<void> {
  const text = await env.metrics.metrics();
  res.writeHead(200, { 'content-type': env.metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
