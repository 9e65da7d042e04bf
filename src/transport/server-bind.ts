// Binding a TCP-based server (net, tls, http, https) to a listen spec, with the `*` fallback.
import type { AddressInfo, Server } from 'node:net';
import { fromSystemError } from './errors.js';
import { bindPlans, boundFamilies, isNoIPv6Error, listenerDescription, listenerName } from './listener-address.js';
import type { ListenSpec } from './listen-spec.js';
import type { ListenerInfo, TransportLogger } from './types.js';

function listenOnce(server: Server, address: string, port: number, ipv6Only: boolean): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port, ipv6Only, exclusive: true }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Listens as the spec says; resolves with what the socket really is. */
export async function bindServer(server: Server, spec: ListenSpec, log: TransportLogger): Promise<ListenerInfo> {
  const plans = bindPlans(spec.host);
  for (let i = 0; ; i++) {
    try {
      const bound = await listenOnce(server, plans[i].address, spec.port, plans[i].ipv6Only);
      const families = boundFamilies(spec.protocol, bound.address, plans[i].ipv6Only);
      const name = listenerName(spec.protocol, bound.address, bound.port);
      return { protocol: spec.protocol, address: bound.address, port: bound.port, families, name, description: listenerDescription(name, families) };
    } catch (err) {
      if (i + 1 < plans.length && isNoIPv6Error(err)) {
        log.info({ spec: `${spec.protocol}:*:${spec.port}` }, 'no IPv6 on this host: listening on IPv4 only');
        continue;
      }
      throw fromSystemError(err, listenerName(spec.protocol, plans[i].address, spec.port));
    }
  }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
