// The is-composing document (RFC 3994 3.1, 6): pure compose and parse. Namespace-aware, like PIDF.
import { DOMParser, type Element } from '@xmldom/xmldom';

export const IS_COMPOSING_NS = 'urn:ietf:params:xml:ns:im-iscomposing';
export const IS_COMPOSING_CONTENT_TYPE = 'application/im-iscomposing+xml';

export type ComposingState = 'active' | 'idle';

export interface IsComposing {
  state: ComposingState;
  /** RFC 3994 3.1: seconds until an active state lapses to idle without a refresh (active only). */
  refresh?: number;
  /** The type of message being composed, e.g. text/plain. */
  contentType?: string;
  lastActive?: string;
}

export class IsComposingError extends Error {
  override readonly name = 'IsComposingError';
}

export function composeIsComposing(doc: IsComposing): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<isComposing xmlns="${IS_COMPOSING_NS}">`, `  <state>${doc.state}</state>`];
  if (doc.lastActive !== undefined) lines.push(`  <lastactive>${doc.lastActive}</lastactive>`);
  if (doc.contentType !== undefined) lines.push(`  <contenttype>${doc.contentType.replace(/[<>&]/g, '')}</contenttype>`);
  // RFC 3994 3.1: refresh only makes sense with the active state.
  if (doc.refresh !== undefined && doc.state === 'active') lines.push(`  <refresh>${Math.round(doc.refresh)}</refresh>`);
  lines.push('</isComposing>', '');
  return lines.join('\n');
}

function child(root: Element, name: string): string | undefined {
  for (let n = root.firstChild; n !== null; n = n.nextSibling) {
    const e = n as Element;
    if (n.nodeType === n.ELEMENT_NODE && e.namespaceURI === IS_COMPOSING_NS && e.localName === name) {
      return e.textContent?.trim();
    }
  }
  return undefined;
}

export function parseIsComposing(xml: string): IsComposing {
  let root: Element | null;
  try {
    root = new DOMParser({ onError: (level, message) => {
      if (level !== 'warning') throw new IsComposingError(`malformed XML: ${message}`);
    } }).parseFromString(xml, 'text/xml').documentElement;
  } catch (err) {
    if (err instanceof IsComposingError) throw err;
    throw new IsComposingError(`malformed XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (root === null || root.namespaceURI !== IS_COMPOSING_NS || root.localName !== 'isComposing') {
    throw new IsComposingError('not an is-composing document (RFC 3994 6)');
  }
  const state = child(root, 'state');
  if (state !== 'active' && state !== 'idle') throw new IsComposingError(`state "${state ?? ''}" is neither active nor idle (RFC 3994 3.1)`);
  const refreshText = child(root, 'refresh');
  const refresh = refreshText !== undefined && /^\d+$/.test(refreshText) ? Number(refreshText) : undefined;
  return { state, refresh, contentType: child(root, 'contenttype'), lastActive: child(root, 'lastactive') };
}
