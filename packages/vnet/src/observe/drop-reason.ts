import type { Endpoint } from '@natkit/net';

/** Why the virtual network dropped a packet. */
export type DropReason =
  /** Inbound to a NAT's external endpoint that has no mapping. */
  | 'no-mapping'
  /** Inbound refused by the NAT's filtering or the firewall (RFC 4787 §5). */
  | 'filtered'
  /** Inbound to a mapping whose lifetime ran out. */
  | 'expired'
  /** Lost on a link (the link's `loss` probability). */
  | 'lost'
  /** No router knows the destination address. */
  | 'no-route'
  /** The router blocks all UDP. */
  | 'blocked'
  /** The internal host already holds `maxMappingsPerHost` mappings. */
  | 'mapping-limit'
  /** The NAT has no free external port. */
  | 'port-exhausted'
  /** Sent to the NAT's own external address and the NAT does not hairpin. */
  | 'no-hairpin'
  /** Nothing is bound to the destination port on the destination host. */
  | 'no-socket'
  /** A link's bandwidth queue or a socket's receive queue is full. */
  | 'queue-full';

export const dropReasons: readonly DropReason[] = [
  'no-mapping',
  'filtered',
  'expired',
  'lost',
  'no-route',
  'blocked',
  'mapping-limit',
  'port-exhausted',
  'no-hairpin',
  'no-socket',
  'queue-full',
];

/** One dropped packet. */
export interface DropEvent {
  /** Virtual time of the drop. */
  readonly at: number;
  readonly reason: DropReason;
  /** Name of the router, host or link where it happened. */
  readonly node: string;
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly size: number;
}
