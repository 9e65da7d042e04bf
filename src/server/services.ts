// What the server keeps beyond sockets and transactions: the store, the users, the digest verifier,
// the location service and the registrar, opened in the order a start needs them (users and bindings
// are loaded before the first socket opens, so no request meets an empty location service).
import type { Logger } from 'pino';
import { DigestServer } from '../auth/digest-server.js';
import { loadOrCreateSecret } from '../auth/secret.js';
import { UserDirectory } from '../auth/user-directory.js';
import { DialogRouteToken } from '../proxy/dialog-route-token.js';
import { SpiralProof } from '../proxy/spiral-proof.js';
import { LocationService } from '../registrar/location-service.js';
import { Registrar } from '../registrar/registrar.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import type { ServerConfig } from './config.js';

export interface Services {
  store: Store;
  users: UserDirectory;
  /** Undefined with `--auth off`. */
  digest: DigestServer | undefined;
  location: LocationService;
  registrar: Registrar;
  /** Signs and checks our Record-Route entries (src/proxy/dialog-route-token.ts). */
  dialogRoutes: DialogRouteToken;
  /** Marks and checks our Via branches of requests whose sender proved who it is (src/proxy/spiral-proof.ts). */
  spiralProof: SpiralProof;
}

export async function openServices(config: ServerConfig, log: Logger): Promise<Services> {
  const sqlite = config.store === 'sqlite';
  const store = await openStore({ kind: config.store, dataDir: sqlite ? config.dataDir : undefined, commitWindowMs: config.commitWindowMs });
  try {
    const users = await UserDirectory.load(store.users, undefined, log);
    // The key of nonces and Record-Route tokens survives restarts with sqlite (what was handed out
    // before a restart stays valid); a memory store keeps nothing, so neither does the key.
    const secret = loadOrCreateSecret(sqlite ? config.dataDir : undefined);
    const digest = config.auth ? new DigestServer({ secret, credentials: users, algorithms: config.digestAlgorithms }) : undefined;
    const location = new LocationService({ repository: store.bindings, logger: log });
    const { restored, dropped } = await location.restore();
    log.info({ store: config.store, dataDir: sqlite ? config.dataDir : undefined, users: users.list().length, restored, dropped },
      'storage opened');
    const registrar = new Registrar(location, {
      minExpires: config.minExpires,
      maxExpires: config.maxExpires,
      defaultExpires: config.defaultExpires,
      maxContacts: config.maxContacts,
    });
    return { store, users, digest, location, registrar, dialogRoutes: new DialogRouteToken(secret), spiralProof: new SpiralProof(secret) };
  } catch (err) {
    await store.close();
    throw err;
  }
}
