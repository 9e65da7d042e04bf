// The transaction layer (RFC 3261 17): see transaction-layer.ts for the TU's view.
export { TransactionLayer, type TransactionLayerEvents, type TransactionLayerOptions } from './transaction-layer.js';
export { ServerTransaction, type ServerTransactionEvents } from './server-transaction.js';
export { ClientTransaction, type ClientTransactionEvents } from './client-transaction.js';
export { InviteServerTransaction } from './invite-server-transaction.js';
export { NonInviteServerTransaction } from './non-invite-server-transaction.js';
export { InviteClientTransaction } from './invite-client-transaction.js';
export { NonInviteClientTransaction } from './non-invite-client-transaction.js';
export type { TransactionState, TransactionTransport } from './transaction-environment.js';
export { TimerHeap, sharedTimerHeap, type TimerHandle, type TimerHeapOptions } from './timer-heap.js';
export { DEFAULT_T1, DEFAULT_T2, DEFAULT_T4, type TimerSettings } from './timers.js';
export { isRfc3261Branch, serverTransactionKey, clientTransactionKey } from './transaction-key.js';
