// RFC 3261 16.4 (route information preprocessing) and 16.6 steps 6-7 (where the forwarded request
// goes when Route headers remain): loose routing (lr), with strict-router compatibility.
import type { SipMessage } from '../sip/message.js';
import { formatNameAddr, type NameAddr } from '../sip/name-addr.js';
import { formatUri, isSipUri, type SipUri, type Uri } from '../sip/uri.js';

/** Whether a URI names this proxy (one of our hosts, with no port or one we listen on). */
export type OwnUriTest = (uri: Uri) => boolean;

export interface Preprocessed {
  /**
   * A Route entry of ours that was removed is a Record-Route we wrote for this very dialog (its
   * signed token, checked by `isOurDialog`): the request follows a route set we recorded, which a To
   * tag alone, or a Route to us that a client preloaded, cannot show.
   */
  viaOurRecordRoute: boolean;
}

/** Whether a Route URI of ours carries our signature for this request's dialog. */
export type DialogRouteTest = (uri: SipUri, request: SipMessage) => boolean;

/**
 * RFC 3261 16.4. (1) A Request-URI that is one of our Record-Route URIs means the previous hop was a
 * strict router: the real target is the last Route value, which moves back into the Request-URI.
 * (2) Route entries naming us at the top are removed (several with double record-routing, RFC 5658;
 * clients also preload `Route: <sip:server;lr>`).
 */
export function preprocessRoute(request: SipMessage, isOwn: OwnUriTest, isOurDialog: DialogRouteTest = () => false): Preprocessed {
  let viaOurRecordRoute = false;
  const uri = request.uri();
  if (isSipUri(uri) && uri.user === undefined && uri.params.has('lr') && isOwn(uri) && request.hasHeader('route')) {
    const routes = request.route();
    const last = routes[routes.length - 1];
    request.requestUri = formatUri(last.uri);
    setRoutes(request, routes.slice(0, -1));
    viaOurRecordRoute = isOurDialog(uri, request);
  }
  if (request.hasHeader('route')) {
    const routes = request.route();
    let drop = 0;
    for (; drop < routes.length && isOwn(routes[drop].uri); drop++) {
      const own = routes[drop].uri;
      if (isSipUri(own) && isOurDialog(own, request)) viaOurRecordRoute = true;
    }
    if (drop > 0) setRoutes(request, routes.slice(drop));
  }
  return { viaOurRecordRoute };
}

function setRoutes(request: SipMessage, routes: NameAddr[]): void {
  request.removeHeader('route');
  for (const r of routes) request.addHeader('Route', formatNameAddr(r));
}

/**
 * RFC 3261 16.6 steps 6-7 on a copy about to be forwarded: with a loose next hop (lr) the request
 * goes to the top Route's URI unchanged; with a strict one (no lr, RFC 2543) the Request-URI moves to
 * the end of the route set and the top Route becomes the Request-URI (12.2.1.1). Returns the URI to
 * resolve, or undefined when no Route remains (the Request-URI decides).
 */
export function nextHopByRoute(copy: SipMessage): SipUri | undefined {
  if (!copy.hasHeader('route')) return undefined;
  const routes = copy.route();
  const top = routes[0].uri;
  if (!isSipUri(top)) return undefined;
  if (top.params.has('lr')) return top;
  const rest = routes.slice(1);
  rest.push({ uri: copy.uri(), params: new Map() });
  copy.requestUri = formatUri({ ...top, params: top.params, headers: [] });
  setRoutes(copy, rest);
  return top;
}
