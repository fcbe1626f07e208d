import * as v from 'valibot';
import { ConnectSchema } from './messages/connect.js';
import { PingSchema, PongSchema } from './messages/ping.js';
import { RegisterSchema } from './messages/register.js';
import { NotifyRelaySchema } from './messages/peer-relay.js';
import { RefreshRelaySchema } from './messages/relay-credentials.js';
import { UpdateSchema } from './messages/update.js';
import { AddressProofSchema, VerifyAddressSchema } from './messages/verify-address.js';

/** Every message a client may send, told apart by `type`. */
export const ClientMessageSchema = v.variant('type', [RegisterSchema, UpdateSchema, ConnectSchema, PingSchema, PongSchema, VerifyAddressSchema, AddressProofSchema, RefreshRelaySchema, NotifyRelaySchema]);

export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;

export const CLIENT_MESSAGE_TYPES: ReadonlySet<string> = new Set(['register', 'update', 'connect', 'ping', 'pong', 'verify-address', 'address-proof', 'refresh-relay', 'notify-relay']);
