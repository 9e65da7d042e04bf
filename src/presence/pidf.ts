// PIDF presence documents (RFC 3863), with the person-level note and activity of the data model
// (RFC 4479) and RPID (RFC 4480). Pure: text in, values out; shared by the client and the presence
// server. Parsing is namespace-aware: elements are matched on namespace URI and local name, never
// on the prefix a peer happened to pick (RFC 3863 4.1 lets every document choose its own).
import { DOMParser, type Element } from '@xmldom/xmldom';

export const PIDF_NS = 'urn:ietf:params:xml:ns:pidf';
export const DATA_MODEL_NS = 'urn:ietf:params:xml:ns:pidf:data-model';
export const RPID_NS = 'urn:ietf:params:xml:ns:pidf:rpid';
export const PIDF_CONTENT_TYPE = 'application/pidf+xml';

export type BasicStatus = 'open' | 'closed';

export interface PresenceTuple {
  id: string;
  /** RFC 3863 4.1.4: absent when the tuple carries no basic status. */
  basic?: BasicStatus;
  contact?: string;
  /** RFC 3863 4.1.6: notes of the tuple, in document order. */
  notes: string[];
  timestamp?: string;
}

export interface PresenceDocument {
  /** RFC 3863 4.1.1: the presentity's URI (pres: or sip:). */
  entity: string;
  tuples: PresenceTuple[];
  /** Notes of the presence element (RFC 3863 4.1.6) and of the person (RFC 4479 4.2.4). */
  notes: string[];
  /** RPID activities of the person (RFC 4480 3.2), e.g. `away`, `busy`, `on-the-phone`. */
  activities: string[];
}

export interface ComposeOptions {
  entity: string;
  basic: BasicStatus;
  note?: string;
  /** RPID activity of the person, e.g. `away` (RFC 4480 3.2). */
  activity?: string;
  tupleId?: string;
  contact?: string;
  timestamp?: Date;
}

export class PidfError extends Error {
  override readonly name = 'PidfError';
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** RFC 4480 3.2: the activities of the RPID namespace (`other` carries text and is not offered). */
export const RPID_ACTIVITIES: ReadonlySet<string> = new Set([
  'appointment', 'away', 'breakfast', 'busy', 'dinner', 'holiday', 'in-transit', 'looking-for-work', 'meal',
  'meeting', 'on-the-phone', 'performance', 'permanent-absence', 'playing', 'presentation', 'shopping',
  'sleeping', 'spectator', 'steering', 'travel', 'tv', 'unknown', 'vacation', 'working', 'worship',
]);

/** RFC 3863 4.1.3 / 4.1.5: an id is an XML ID (NCName); a safe default is derived from nothing. */
const DEFAULT_TUPLE_ID = 't1';

/** A PIDF document with one tuple (this UA's status) and, when given, a person with note and activity. */
export function composePidf(options: ComposeOptions): string {
  // The activity becomes an element name: anything but an RPID activity would break the document.
  if (options.activity !== undefined && !RPID_ACTIVITIES.has(options.activity)) {
    throw new PidfError(`activity "${options.activity}" is not an RPID activity (RFC 4480 3.2)`);
  }
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<presence xmlns="${PIDF_NS}" xmlns:dm="${DATA_MODEL_NS}" xmlns:rpid="${RPID_NS}" entity="${escapeXml(options.entity)}">`,
    `  <tuple id="${escapeXml(options.tupleId ?? DEFAULT_TUPLE_ID)}">`,
    `    <status><basic>${options.basic}</basic></status>`,
  ];
  if (options.contact !== undefined) lines.push(`    <contact>${escapeXml(options.contact)}</contact>`);
  if (options.note !== undefined) lines.push(`    <note>${escapeXml(options.note)}</note>`);
  if (options.timestamp !== undefined) lines.push(`    <timestamp>${options.timestamp.toISOString()}</timestamp>`);
  lines.push('  </tuple>');
  if (options.note !== undefined || options.activity !== undefined) {
    lines.push('  <dm:person id="p1">');
    if (options.activity !== undefined) lines.push(`    <rpid:activities><rpid:${options.activity}/></rpid:activities>`);
    if (options.note !== undefined) lines.push(`    <dm:note>${escapeXml(options.note)}</dm:note>`);
    lines.push('  </dm:person>');
  }
  lines.push('</presence>', '');
  return lines.join('\n');
}

function children(parent: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === n.ELEMENT_NODE) {
      const e = n as Element;
      if (e.namespaceURI === ns && e.localName === localName) out.push(e);
    }
  }
  return out;
}

function text(e: Element | undefined): string | undefined {
  const t = e?.textContent?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/**
 * `strict`: a document we take from a publisher and pass on to watchers, where RFC 3863 4.1.2 holds
 * (a tuple has an id, 4.1.3, and a status, 4.1.4). A watcher reading another server's NOTIFY is lenient.
 */
function parseTuple(e: Element, strict: boolean): PresenceTuple {
  const status = children(e, PIDF_NS, 'status')[0];
  if (strict) {
    const id = e.getAttribute('id');
    if (id === null || id.trim() === '') throw new PidfError('a <tuple> has no id attribute (RFC 3863 4.1.2, 4.1.3)');
    if (status === undefined) throw new PidfError(`tuple ${id} has no <status> element (RFC 3863 4.1.2, 4.1.4)`);
  }
  const basicText = status === undefined ? undefined : text(children(status, PIDF_NS, 'basic')[0]);
  if (basicText !== undefined && basicText !== 'open' && basicText !== 'closed') {
    throw new PidfError(`tuple ${e.getAttribute('id') ?? ''}: basic status "${basicText}" is neither open nor closed (RFC 3863 4.1.4)`);
  }
  return {
    id: e.getAttribute('id') ?? '',
    basic: basicText,
    contact: text(children(e, PIDF_NS, 'contact')[0]),
    notes: children(e, PIDF_NS, 'note').map(text).filter((n): n is string => n !== undefined),
    timestamp: text(children(e, PIDF_NS, 'timestamp')[0]),
  };
}

/**
 * The `<presence>` root of a PIDF document as a namespace-aware DOM element, for callers that keep
 * the document's extension elements (the presence server composes them); throws PidfError when the
 * text is not well-formed XML or its root is not PIDF's presence element.
 */
export function parsePidfRoot(xml: string): Element {
  // XML 1.0 4.3.3 / RFC 3023: a UTF-8 byte order mark may precede the document.
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  const stray = strayAmpersand(text);
  if (stray !== undefined) throw new PidfError(`malformed XML: "&" not starting an entity reference at offset ${stray}`);
  const forbidden = forbiddenCharacter(text);
  if (forbidden !== undefined) throw new PidfError(`malformed XML: ${forbidden}`);
  let problem: string | undefined;
  let root: Element | null;
  try {
    const doc = new DOMParser({ onError: (level, message) => {
      // xmldom is lenient: what it reports as a warning (an unquoted attribute value, a bad end tag)
      // is not well-formed XML either; only U+FFFD, a legal character, is no fault of the document.
      if (level === 'warning' && message.startsWith('Unicode replacement character')) return;
      problem ??= message;
      throw new PidfError(message);
    } }).parseFromString(text, 'text/xml');
    root = doc.documentElement;
  } catch (err) {
    // xmldom wraps what the handler throws ("Reporting fatalError ... caused ..."): the reason is the first problem.
    const reason = problem ?? (err instanceof Error ? err.message : String(err));
    throw new PidfError(`malformed XML: ${reason.split(/\r?\n/)[0].slice(0, 120)}`);
  }
  if (root === null || root.namespaceURI !== PIDF_NS || root.localName !== 'presence') {
    throw new PidfError('not a PIDF document: the root must be <presence> in urn:ietf:params:xml:ns:pidf (RFC 3863 4.1)');
  }
  return root;
}

/**
 * XML 1.0 2.2: the characters a document may not hold, as such or as a character reference: C0
 * controls but tab, LF and CR; U+FFFE, U+FFFF; lone surrogates.
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first character of `text` XML 1.0 forbids (its UTF-16 code unit and offset), or undefined. */
export function firstNonXmlCharacter(text: string): { code: number; index: number } | undefined {
  const found = NOT_XML_CHAR.exec(text);
  return found === null ? undefined : { code: found[0].charCodeAt(0), index: found.index };
}

/** `U+001B`. */
export function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff)
    || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/**
 * A character XML 1.0 2.2 forbids (a control character, U+FFFE, U+FFFF, a lone surrogate), written
 * out or as a character reference (4.1 WFC: Legal Character); xmldom takes both silently, and a
 * stricter peer (libxml2, expat) would refuse the document we relay. Undefined when there is none.
 */
function forbiddenCharacter(text: string): string | undefined {
  const raw = firstNonXmlCharacter(text);
  if (raw !== undefined) return `character ${codePointName(raw.code)} at offset ${raw.index} is not allowed in XML`;
  for (const ref of text.matchAll(/&#(x[0-9a-fA-F]+|[0-9]+);/g)) {
    const code = ref[1].startsWith('x') ? parseInt(ref[1].slice(1), 16) : parseInt(ref[1], 10);
    if (!isXmlChar(code)) return `character reference ${ref[0]} at offset ${ref.index} names a character not allowed in XML`;
  }
  return undefined;
}

/**
 * XML 1.0 2.4: "&" in character data or an attribute value starts a reference (`&name;`, `&#n;`,
 * `&#xh;`); xmldom takes a bare one silently. Comments and CDATA sections may hold any "&".
 * Returns the offset of the first bare one.
 */
function strayAmpersand(xml: string): number | undefined {
  const re = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|&(?![A-Za-z_:][\w.:-]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)/g;
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) if (m[0] === '&') return m.index;
  return undefined;
}

/** Parses a PIDF document with any number of tuples; throws PidfError when it is not one. */
export function parsePidf(xml: string): PresenceDocument {
  return documentOf(parsePidfRoot(xml));
}

/**
 * The values of a PIDF root element (see parsePidfRoot). `options.strict`: throw PidfError for a
 * tuple without id or status (RFC 3863 4.1.2), as a published document must not have one.
 */
export function documentOf(root: Element, options: { strict?: boolean } = {}): PresenceDocument {
  const notes = children(root, PIDF_NS, 'note').map(text).filter((n): n is string => n !== undefined);
  const activities: string[] = [];
  for (const person of children(root, DATA_MODEL_NS, 'person')) {
    for (const n of children(person, DATA_MODEL_NS, 'note')) {
      const t = text(n);
      if (t !== undefined) notes.push(t);
    }
    for (const list of children(person, RPID_NS, 'activities')) {
      for (let n = list.firstChild; n !== null; n = n.nextSibling) {
        const e = n as Element;
        if (n.nodeType === n.ELEMENT_NODE && e.namespaceURI === RPID_NS && e.localName !== 'note') activities.push(e.localName ?? '');
      }
    }
  }
  return {
    entity: root.getAttribute('entity') ?? '',
    tuples: children(root, PIDF_NS, 'tuple').map((t) => parseTuple(t, options.strict === true)),
    notes,
    activities,
  };
}

/** RFC 3863 4.1.4: the presentity is reachable when any tuple is open. */
export function overallBasic(doc: PresenceDocument): BasicStatus {
  return doc.tuples.some((t) => t.basic === 'open') ? 'open' : 'closed';
}
