// The final answer a presence handler gives to a PUBLISH or SUBSCRIBE, before it becomes a response.
export interface Answer {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  /** To tag of a dialog-creating 2xx (RFC 3261 12.1.1); otherwise the response builder picks one. */
  toTag?: string;
}

export function answer(status: number, reason: string, headers: Array<[string, string]> = []): Answer {
  return { status, reason, headers };
}
