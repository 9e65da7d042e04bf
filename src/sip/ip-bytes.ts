// IP addresses in text form as the bytes they stand for (RFC 791 dotted quad, RFC 4291 2.2 text
// forms of IPv6: `::` and an embedded IPv4 tail), for the wire (STUN) and for kernel tables (/proc).

/** The 4 bytes of a dotted IPv4 address, or undefined when malformed. */
export function ipv4Bytes(address: string): number[] | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : 256));
  return out.every((n) => n <= 255) ? out : undefined;
}

/** 16 bytes of an IPv6 address (`::`, embedded IPv4 allowed), or undefined when malformed. */
export function ipv6Bytes(address: string): number[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    const parts = text.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = ipv4Bytes(p);
        if (!v4) return undefined;
        out.push(v4[0], v4[1], v4[2], v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        const n = parseInt(p, 16);
        out.push(n >> 8, n & 255);
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 16 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 2) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}
