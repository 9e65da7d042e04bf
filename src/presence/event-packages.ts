// The event packages the presence agent serves (RFC 6665 7.2: a notifier lists them in Allow-Events)
// and the body type of each.
import { PIDF_CONTENT_TYPE } from './pidf.js';

/** RFC 3856 6.1. */
export const PRESENCE_EVENT = 'presence';
/** RFC 3857 4.1: the watcher information template package applied to presence. */
export const WINFO_EVENT = 'presence.winfo';
/** RFC 3858 8. */
export const WATCHERINFO_CONTENT_TYPE = 'application/watcherinfo+xml';

/** Allow-Events value (RFC 6665 8.2.2). */
export const ALLOW_EVENTS = `${PRESENCE_EVENT}, ${WINFO_EVENT}`;

/** Body type of each package's NOTIFYs: RFC 3856 6.3 (PIDF is mandatory), RFC 3857 4.3. */
export const BODY_TYPE: Readonly<Record<string, string>> = {
  [PRESENCE_EVENT]: PIDF_CONTENT_TYPE,
  [WINFO_EVENT]: WATCHERINFO_CONTENT_TYPE,
};
