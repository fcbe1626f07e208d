import { familyOf, isSameEndpoint, type UdpSocket } from '@natkit/net';
import type { ClientContext } from './client-transport.js';
import { handleClientData } from './handle-client-data.js';
import type { TurnCore } from './turn-core.js';

/**
 * The UDP sockets the server serves on, added and removed at run time. Each may be shared with
 * other handlers (the STUN server): only STUN (first byte 0-3, RFC 7983 §7) and ChannelData
 * (64-127: 64-79 per RFC 7983, 80-127 for RFC 5766 channel numbers) are looked at.
 */
export class UdpAttachments {
  private readonly attached = new Map<UdpSocket, () => void>();

  constructor(private readonly core: TurnCore) {}

  attach(socket: UdpSocket): () => void {
    if (this.attached.has(socket)) return () => this.detach(socket);
    const core = this.core;
    const local = socket.local;
    const off = socket.onMessage((data, from) => {
      const b = data[0];
      if (b === undefined || (b > 3 && (b < 64 || b > 127))) return;
      const ctx: ClientContext = { transport: 'udp', client: from, local, reply: (bytes) => socket.send(bytes, from) };
      handleClientData(core, data, ctx);
    });
    this.attached.set(socket, off);
    if (familyOf(local.address) !== undefined && local.address !== '0.0.0.0' && local.address !== '::') {
      core.filter = core.filter.withOwnAddresses([local.address]);
    }
    return () => this.detach(socket);
  }

  /** Stops serving `socket` and deletes the allocations made over it (their 5-tuple is gone). */
  detach(socket: UdpSocket): void {
    const off = this.attached.get(socket);
    if (off === undefined) return;
    this.attached.delete(socket);
    off();
    for (const a of [...this.core.table.values()]) {
      if (a.fiveTuple.transport === 'udp' && isSameEndpoint(a.fiveTuple.local, socket.local)) this.core.deleteAllocation(a.key, 'socket detached');
    }
  }

  detachAll(): void {
    for (const s of [...this.attached.keys()]) this.detach(s);
  }
}
