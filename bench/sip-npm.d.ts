// The `sip` npm package ships no types; only the parser entry point is used, by the parser benchmark.
declare module 'sip' {
  interface SipNpmMessage {
    method?: string;
    uri?: string;
    status?: number;
    headers: Record<string, unknown>;
    content?: string;
  }
  const sip: { parse(data: Buffer | string): SipNpmMessage | undefined };
  export default sip;
}
