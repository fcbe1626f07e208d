import * as v from 'valibot';
import { ErrorSchema } from './messages/error.js';
import { HelloSchema } from './messages/hello.js';
import { IntroduceSchema } from './messages/introduce.js';
import { PingSchema, PongSchema } from './messages/ping.js';
import { RegisteredSchema } from './messages/registered.js';
import { AddressTokenSchema, AddressVerifiedSchema } from './messages/verify-address.js';
import { PeerRelaySchema } from './messages/peer-relay.js';
import { RelayCredentialsMessageSchema } from './messages/relay-credentials.js';

/** Every message a server may send, told apart by `type`. */
export const ServerMessageSchema = v.variant('type', [HelloSchema, RegisteredSchema, IntroduceSchema, PingSchema, PongSchema, ErrorSchema, AddressTokenSchema, AddressVerifiedSchema, RelayCredentialsMessageSchema, PeerRelaySchema]);

export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;

export const SERVER_MESSAGE_TYPES: ReadonlySet<string> = new Set(['hello', 'registered', 'introduce', 'ping', 'pong', 'error', 'address-token', 'address-verified', 'relay-credentials', 'peer-relay']);
