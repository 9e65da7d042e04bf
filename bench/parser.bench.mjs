// @ts-check
// Parser throughput: simplesip's lazy parser against the `sip` npm package's regex parser, full parse
// (framing + the typed headers a registrar or proxy reads), several interleaved rounds, medians.
//
// Plain JavaScript on purpose: the product runs the compiled parser (dist/) under plain node, so this
// file imports dist/ (build first: `npx tsc -p tsconfig.build.json`) and is run by plain node in its own
// process (`node bench/parser.bench.mjs`; `npm run bench` spawns it), never under the tsx loader, which
// costs 5-8% here. Only the dist/ copy of the parser is loaded in this process: a second copy (src/
// through tsx) would share the JIT's type feedback for the same shapes and skew both.
import { pathToFileURL } from 'node:url';
import sip from 'sip';
import { parseMessage } from '../dist/sip/parser.js';
import { SipParseError } from '../dist/sip/errors.js';

/** @param {string[]} lines */
const crlf = (lines) => Buffer.from(lines.join('\r\n'), 'utf8');

const SDP = [
  'v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 49170 RTP/AVP 0 8 97', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:97 iLBC/8000', '',
].join('\r\n');

/** @type {Record<string, Buffer>} */
export const SAMPLES = {
  REGISTER: crlf([
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
    'Max-Forwards: 70',
    'To: "Alice" <sip:alice@example.com>',
    'From: "Alice" <sip:alice@example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 REGISTER',
    'Contact: <sip:alice@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1',
    'Expires: 3600',
    'User-Agent: simplesip-bench/1.0',
    'Content-Length: 0',
    '',
    '',
  ]),
  INVITE: crlf([
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9',
    'Via: SIP/2.0/TCP proxy.atlanta.example.com:5060;branch=z9hG4bK3e8a1;received=192.0.2.4',
    'Max-Forwards: 69',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 2 INVITE',
    'Contact: <sip:alice@client.atlanta.example.com;transport=tcp>',
    'Record-Route: <sip:proxy.atlanta.example.com;lr>',
    'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, MESSAGE, SUBSCRIBE, NOTIFY',
    'Supported: replaces, timer',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ]),
  MESSAGE: crlf([
    'MESSAGE sip:bob@example.org SIP/2.0',
    'Via: SIP/2.0/TCP 192.0.2.20:50412;branch=z9hG4bK-524287-1---a2f7c1;rport',
    'Max-Forwards: 70',
    'To: <sip:bob@example.org>',
    'From: "Alice" <sip:alice@example.org>;tag=49583',
    'Call-ID: asd88asd77a@192.0.2.20',
    'CSeq: 1 MESSAGE',
    'Content-Type: text/plain;charset=UTF-8',
    'Content-Length: 24',
    '',
    'Hello Bob, how are you?!',
  ]),
};

/** Parse plus every typed header a registrar/proxy reads; returns something so the JIT keeps the work. */
/** @param {Buffer} data */
function ours(data) {
  const m = parseMessage(data);
  if (m instanceof SipParseError) throw m;
  const via = m.via();
  const from = m.from();
  const to = m.to();
  const contacts = m.contacts();
  return via.length + (from.tag?.length ?? 0) + (to.uri.scheme.length) + m.callId().length + m.cseq().seq +
    (m.maxForwards() ?? 0) + (m.expires() ?? 0) + (m.contentLength() ?? 0) + (contacts === '*' ? 1 : contacts.length) +
    m.uri().scheme.length;
}

/** parseMessage alone (start line, header framing, Request-URI): what every message costs before any typed access. */
/** @param {Buffer} data */
function oursFramingOnly(data) {
  const m = parseMessage(data);
  if (m instanceof SipParseError) throw m;
  return m.method.length;
}

/** The npm parser parses everything eagerly; touching the same fields keeps the comparison fair. */
/** @param {Buffer} data */
function theirs(data) {
  const m = sip.parse(data);
  if (m === undefined) throw new Error('sip npm failed to parse');
  const h = m.headers;
  const via = h.via;
  const contacts = h.contact;
  return via.length + String(h['call-id']).length + h.cseq.seq + Number(h['max-forwards'] ?? 0) +
    Number(h.expires ?? 0) + Number(h['content-length'] ?? 0) + (contacts?.length ?? 0) +
    (h.from.params.tag?.length ?? 0) + (h.to ? 1 : 0);
}

/** @param {(d: Buffer) => number} fn @param {Buffer} data @param {number} ms */
function rate(fn, data, ms) {
  let sink = 0;
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) sink += fn(data);
    n += 1000;
    now = process.hrtime.bigint();
  }
  if (sink === -1) console.log(sink);
  return (n * 1e9) / Number(now - start);
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * @typedef {object} ParserBenchResult
 * @property {string} message
 * @property {number} oursPerSecond
 * @property {number} sipNpmPerSecond
 * @property {number} ratio
 * @property {number} oursFramingPerSecond parseMessage alone; not compared, the npm parser has no lazy mode.
 */

/** @param {number} r */
const perSecond = (r) => Math.round(r).toLocaleString('en-US').padStart(9);
/** @param {number} r */
const nsPerMessage = (r) => (1e9 / r).toFixed(0).padStart(5);

/** Interleaves rounds of both parsers per sample (the machine is shared and noisy) and prints medians. */
/**
 * @param {{ rounds?: number; roundMs?: number }} [options]
 * @returns {Promise<ParserBenchResult[]>}
 */
export async function runParserBench(options = {}) {
  const rounds = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 7);
  const roundMs = options.roundMs ?? Number(process.env.BENCH_ROUND_MS ?? 300);
  /** @type {ParserBenchResult[]} */
  const results = [];
  console.log(`parser: full parse (parse + Via, From, To, Call-ID, CSeq, Contact, Expires, Max-Forwards, Content-Length, R-URI), ${rounds} rounds x ${roundMs} ms, medians`);
  for (const [name, data] of Object.entries(SAMPLES)) {
    rate(ours, data, 200);
    rate(theirs, data, 200);
    rate(oursFramingOnly, data, 200);
    /** @type {number[]} */
    const a = [];
    /** @type {number[]} */
    const b = [];
    /** @type {number[]} */
    const f = [];
    for (let r = 0; r < rounds; r++) {
      a.push(rate(ours, data, roundMs));
      b.push(rate(theirs, data, roundMs));
      f.push(rate(oursFramingOnly, data, roundMs));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const res = {
      message: name,
      oursPerSecond: median(a),
      sipNpmPerSecond: median(b),
      ratio: median(a) / median(b),
      oursFramingPerSecond: median(f),
    };
    results.push(res);
    console.log(
      `  ${name.padEnd(9)} ${data.length.toString().padStart(4)} B  simplesip ${perSecond(res.oursPerSecond)} msg/s (${nsPerMessage(res.oursPerSecond)} ns)` +
        `   sip npm ${perSecond(res.sipNpmPerSecond)} msg/s (${nsPerMessage(res.sipNpmPerSecond)} ns)   ratio ${res.ratio.toFixed(2)}x` +
        `   [framing only ${perSecond(res.oursFramingPerSecond)} msg/s (${nsPerMessage(res.oursFramingPerSecond)} ns)]`,
    );
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runParserBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
