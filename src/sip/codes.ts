// Char codes held in octets, for the typed header parsers' scans. Reading an element of a Buffer
// costs about half a charCodeAt, which dispatches on the string's representation at every call.
// Slices are still taken from the text: codes[i] and text.charCodeAt(i) describe the same character.

/**
 * The char codes of `text`, one octet each; codes above 255 become 255. Nothing in the SIP grammar
 * (RFC 3261 25.1) is told apart outside ASCII, so that stand-in is never a delimiter.
 */
export function codesOf(text: string): Buffer {
  const b = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    b[i] = c > 255 ? 255 : c;
  }
  return b;
}

/** Index of the first code in b[i, end) that is neither SP nor HT, or end. */
export function skipSpaces(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

/** end moved back over SP and HT, not below start. */
export function trimSpaces(b: Buffer, start: number, end: number): number {
  while (end > start) {
    const c = b[end - 1];
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}

/** Index of the first occurrence of `code` in b[i, end), or -1. */
export function findCode(b: Buffer, code: number, i: number, end: number): number {
  for (; i < end; i++) if (b[i] === code) return i;
  return -1;
}
