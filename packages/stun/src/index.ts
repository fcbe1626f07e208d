/**
 * @packageDocumentation
 * STUN (RFC 8489) with the NAT behavior discovery extensions (RFC 5780): the wire codec, and
 * a server that answers binding requests from one address or, for RFC 5780 tests, four.
 *
 * @example
 * ```ts
 * import { createNodeNetwork } from '@natkit/net';
 * import { createTransactionId, decodeMessage, encodeMessage, readXorMappedAddress, StunMethod } from '@natkit/stun';
 * const socket = await createNodeNetwork().bindUdp({ family: 4 });
 * socket.onMessage((datagram) => {
 *   const r = decodeMessage(datagram);
 *   if (r.ok && r.value.class === 'success') console.log(readXorMappedAddress(r.value));
 * });
 * const request = encodeMessage(
 *   { method: StunMethod.Binding, class: 'request', transactionId: createTransactionId() },
 *   { fingerprint: true },
 * );
 * socket.send(request, { address: '198.51.100.1', port: 3478 });
 * ```
 */

// errors
export { StunEncodeError, StunError, StunServerError } from './errors.js';

// proto: the wire codec
export * from './proto/index.js';

// transaction: RFC 8489 retransmissions as a pure state machine
export { TransactionTable, type TransactionAction, type MatchResult, type StartOptions, type TransactionTableOptions } from './transaction/transaction-table.js';
export { planTransmissions, transactionBudgetMs, RFC8489_POLICY, type RetransmitPolicy } from './transaction/retransmit-policy.js';

// client: transactions over a shared UDP socket
export { StunClient, DEFAULT_CLIENT_POLICY, type StunResponse, type StunRequestOptions, type StunClientOptions, type StunClientComponents } from './client/stun-client.js';
export { StunTimeoutError, StunTransactionError, DiagnosisError } from './errors.js';

// discovery: NAT/PAT behavior (the library behind `natkit diagnose`)
export * from './discovery/index.js';

// server: Binding responses, RFC 5780 behavior discovery, RFC 3489 clients
export type {
  StunServer,
  StunServerComponents,
  StunServerOptions,
} from './server/stun-server.js';
export { createStunServer, DEFAULT_MAX_PADDING, MAX_PADDING_LIMIT, startStunServer } from './server/stun-server.js';
export type { StunServerStats } from './server/server-stats.js';
export type { StunBindingService, StunBindingServiceComponents, StunBindingServiceOptions } from './server/binding-service.js';
export { createStunBindingService } from './server/binding-service.js';
export type { ServerDropReason } from './server/handle-binding-request.js';
export type { AlternateOptions, ServerMode } from './server/socket-plan.js';
