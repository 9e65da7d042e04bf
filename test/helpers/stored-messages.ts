// The offline messages waiting (of one AOR or all), each read with its body from the store, as
// `ctl msg list` gets them (OfflineStore.messages()); the store keeps only summaries in memory.
import type { OfflineMessage } from '../../src/store/types.js';

export async function storedMessages(offline: { messages(aor?: string): AsyncIterable<OfflineMessage> }, aor?: string): Promise<OfflineMessage[]> {
  const out: OfflineMessage[] = [];
  for await (const m of offline.messages(aor)) out.push(m);
  return out;
}
