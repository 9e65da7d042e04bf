// Records a transaction's events as short strings, in order.
import type { EventEmitter } from 'node:events';
import type { SipMessage } from '../../src/sip/message.js';

export function track(tx: EventEmitter): string[] {
  const log: string[] = [];
  tx.on('provisional', (r: SipMessage) => log.push(`provisional ${r.status}`));
  tx.on('final', (r: SipMessage) => log.push(`final ${r.status}`));
  tx.on('timeout', () => log.push('timeout'));
  tx.on('transport-error', (e: Error) => log.push(`transport-error ${e.message}`));
  tx.on('terminated', () => log.push('terminated'));
  return log;
}
