// Composition (RFC 3903 4: the presence agent combines every live publication of a presentity, plus
// what the registrar knows, into the one document its watchers receive).
//
// Policy, in order:
//   1. No binding at all: closed, and nothing from the publications. A client that vanished without
//      un-PUBLISHing must not stay "online" for its publication's lifetime (Kamailio issue 864);
//      RFC 3863 2.2 defines open as able to receive communications, which needs a binding.
//   2. Bindings but no live publication: open (registration-derived presence).
//   3. Bindings and publications: open when any publication is open. A published "closed" (finch's
//      quit, baresip's /presence_offline) counts as its device going away.
// The first tuple is a summary carrying the overall basic status and note: libpurple reads only the
// first tuple of a NOTIFY, baresip the first <basic>. The publications' tuples and their person,
// device and extension elements (RPID, RFC 4480) follow, unchanged but for colliding ids.
import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom';
import { DATA_MODEL_NS, documentOf, overallBasic, parsePidfRoot, PIDF_NS, type BasicStatus } from './pidf.js';

/** What the agent keeps of one published document: parsed once, composed many times. */
export interface PidfParts {
  basic: BasicStatus;
  /** Person notes first (RFC 4479 4.2.4), then presence and tuple notes. */
  notes: string[];
  /** Serialized `<tuple>` elements, each with the namespace declarations it needs. */
  tuples: ElementText[];
  /** Serialized presence-level `<note>` elements (RFC 3863 4.1.6). */
  presenceNotes: ElementText[];
  /** Serialized elements of other namespaces (person, device, RPID...), kept as published. */
  extensions: ElementText[];
}

export interface ElementText {
  id: string | undefined;
  xml: string;
}

export interface ComposedPresence {
  basic: BasicStatus;
  note: string | undefined;
  /** The complete PIDF document (RFC 3856 6.6.2: every NOTIFY carries full state). */
  body: string;
}

/**
 * The largest composed document the agent takes: a NOTIFY over UDP is one datagram (at most 65,507
 * bytes of IPv4 payload), and its headers need room too. A PUBLISH that would compose a larger
 * document is refused (413) rather than losing every UDP watcher's subscription to a NOTIFY the
 * socket cannot send (RFC 6665 4.2.2: a failed NOTIFY ends the subscription).
 */
export const MAX_DOCUMENT_BYTES = 60_000;

/** Id of the summary tuple; publications' tuples with the same id are renamed. */
export const SUMMARY_TUPLE_ID = 'simplesip-summary';

const serializer = new XMLSerializer();

function elementChildren(root: Element): Element[] {
  const out: Element[] = [];
  for (let n = root.firstChild; n !== null; n = n.nextSibling) if (n.nodeType === n.ELEMENT_NODE) out.push(n as Element);
  return out;
}

/** Parses a published PIDF body; throws PidfError (the reason for a 400) when it is not one. */
export function splitPidf(xml: string): PidfParts {
  const root = parsePidfRoot(xml);
  // RFC 3863 4.1.2: what we pass on to watchers has an id and a status in every tuple.
  const doc = documentOf(root, { strict: true });
  const tuples: ElementText[] = [];
  const presenceNotes: ElementText[] = [];
  const extensions: ElementText[] = [];
  for (const e of elementChildren(root)) {
    const text: ElementText = { id: e.getAttribute('id') ?? undefined, xml: withoutPidfDeclaration(e, serializer.serializeToString(e)) };
    if (e.namespaceURI === PIDF_NS && e.localName === 'tuple') tuples.push(text);
    else if (e.namespaceURI === PIDF_NS && e.localName === 'note') presenceNotes.push(text);
    else extensions.push(text);
  }
  // documentOf lists presence notes, then person notes; the person's note is what people type.
  const personNotes = doc.notes.filter((n) => isPersonNote(root, n));
  const notes = [...personNotes, ...doc.notes.filter((n) => !personNotes.includes(n)), ...doc.tuples.flatMap((t) => t.notes)];
  return { basic: overallBasic(doc), notes, tuples, presenceNotes, extensions };
}

/**
 * A serialized PIDF element (tuple, note) declares the PIDF default namespace on itself; the composed
 * document declares it on its root, so the copy on every element is dropped (1,000 tuples: 38 KB).
 */
function withoutPidfDeclaration(e: Element, xml: string): string {
  if (e.namespaceURI !== PIDF_NS || e.prefix !== null) return xml;
  return xml.replace(/^(<[A-Za-z]+\b[^>]*?) xmlns="urn:ietf:params:xml:ns:pidf"/, '$1');
}

function isPersonNote(root: Element, note: string): boolean {
  const list = root.getElementsByTagNameNS(DATA_MODEL_NS, 'note');
  for (let i = 0; i < list.length; i++) if (list[i].textContent?.trim() === note) return true;
  return false;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** RFC 3863 4.1.2/4.1.5: ids are unique in a document; a colliding one gets a suffix. */
function withUniqueId(part: ElementText, used: Set<string>): string {
  if (part.id === undefined) return part.xml;
  let id = part.id;
  for (let i = 2; used.has(id); i++) id = `${part.id}-${i}`;
  used.add(id);
  if (id === part.id) return part.xml;
  const e = new DOMParser().parseFromString(part.xml, 'text/xml').documentElement;
  if (e === null) return part.xml;
  e.setAttribute('id', id);
  return serializer.serializeToString(e);
}

function summaryTuple(basic: BasicStatus, note: string | undefined): string {
  const noteXml = note === undefined ? '' : `<note>${escapeXml(note)}</note>`;
  return `<tuple id="${SUMMARY_TUPLE_ID}"><status><basic>${basic}</basic></status>${noteXml}</tuple>`;
}

function document(entity: string, elements: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="${PIDF_NS}" entity="${escapeXml(entity)}">\n${elements.join('\n')}\n</presence>\n`;
}

/**
 * The state watchers see. `publications`: live ones, most recently modified first (its note wins);
 * `registered`: the presentity has at least one binding. The body never exceeds MAX_DOCUMENT_BYTES
 * (capDocument), whatever the publications: a removal or expiry can make the summary note fall back
 * to a larger one, and no PUBLISH is there to be refused then.
 */
export function composePresence(entity: string, publications: readonly PidfParts[], registered: boolean): ComposedPresence {
  return capDocument(entity, composeParts(entity, publications, registered));
}

/**
 * Bytes of the document `publications` would compose to before any cap: what a PUBLISH is refused
 * for (413, publish-handler.ts), so the publisher learns its state did not go out in full.
 */
export function uncappedBytes(entity: string, publications: readonly PidfParts[], registered: boolean): number {
  const c = composeParts(entity, publications, registered);
  return documentBytes(entity, elementsOf(c, true, c.perPublication.length));
}

interface ComposedParts {
  basic: BasicStatus;
  note: string | undefined;
  /** Per publication, newest first: its tuples, presence notes and extension elements (ids made unique). */
  perPublication: Array<{ tuples: string[]; notes: string[]; extensions: string[] }>;
}

function composeParts(entity: string, publications: readonly PidfParts[], registered: boolean): ComposedParts {
  if (!registered) return { basic: 'closed', note: undefined, perPublication: [] };
  if (publications.length === 0) return { basic: 'open', note: undefined, perPublication: [] };
  const open = publications.filter((p) => p.basic === 'open');
  const basic: BasicStatus = open.length > 0 ? 'open' : 'closed';
  const note = (open.length > 0 ? open : publications).find((p) => p.notes.length > 0)?.notes[0];
  const used = new Set([SUMMARY_TUPLE_ID]);
  const perTuples = publications.map((p) => p.tuples.map((t) => withUniqueId(t, used)));
  const perExtensions = publications.map((p) => p.extensions.map((x) => withUniqueId(x, used)));
  return {
    basic,
    note,
    perPublication: publications.map((p, i) => ({ tuples: perTuples[i], notes: p.presenceNotes.map((n) => n.xml), extensions: perExtensions[i] })),
  };
}

/** The summary tuple (with or without its note), then the `kept` newest publications' elements. */
function elementsOf(c: ComposedParts, withNote: boolean, kept: number): string[] {
  const pubs = c.perPublication.slice(0, kept);
  // RFC 3863 4.1: tuples, then notes, then elements of other namespaces.
  return [summaryTuple(c.basic, withNote ? c.note : undefined),
    ...pubs.flatMap((p) => p.tuples), ...pubs.flatMap((p) => p.notes), ...pubs.flatMap((p) => p.extensions)];
}

function documentBytes(entity: string, elements: string[]): number {
  return Buffer.byteLength(document(entity, elements));
}

/**
 * Keeps the document within MAX_DOCUMENT_BYTES (RFC 6665 4.2.2: a NOTIFY the UDP socket cannot send
 * ends the subscription). First the summary's copy of the note goes (the publication's own tuple or
 * person element still carries it), then the oldest publications' elements, one publication at a
 * time; the summary keeps the basic status of them all (RFC 3863 4.1.4).
 */
function capDocument(entity: string, c: ComposedParts): ComposedPresence {
  const full = document(entity, elementsOf(c, true, c.perPublication.length));
  if (Buffer.byteLength(full) <= MAX_DOCUMENT_BYTES) return { basic: c.basic, note: c.note, body: full };
  // Sizes add up (document() joins with one newline), so the cut is found without composing each try.
  const frame = documentBytes(entity, []);
  const sizes = c.perPublication.map((p) => [...p.tuples, ...p.notes, ...p.extensions].reduce((n, x) => n + Buffer.byteLength(x) + 1, 0));
  let total = frame + Buffer.byteLength(summaryTuple(c.basic, undefined)) + sizes.reduce((a, b) => a + b, 0);
  let kept = c.perPublication.length;
  while (kept > 0 && total > MAX_DOCUMENT_BYTES) total -= sizes[--kept];
  return { basic: c.basic, note: undefined, body: document(entity, elementsOf(c, false, kept)) };
}
/**
 * RFC 3856 6.6.2: a pending or politely blocked watcher never learns the real state; a blocked one
 * is shown a presentity that is simply offline.
 */
export function neutralPresence(entity: string): string {
  return document(entity, [summaryTuple('closed', undefined)]);
}
