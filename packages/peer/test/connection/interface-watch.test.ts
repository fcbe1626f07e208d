import type { InterfaceAddress, Network } from '@natkit/net';
import { ManualClock } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import { watchInterfaces } from '../../src/connection/interface-watch.js';

/** A network whose interface list the test changes, as the OS would on a new Wi-Fi. */
function networkWith(list: { current: InterfaceAddress[] }): Network {
  return {
    bindUdp: () => Promise.reject(new Error('not used')),
    localAddressFor: () => Promise.resolve(undefined),
    interfaceAddresses: () => list.current,
  };
}

const lo: InterfaceAddress = { address: '127.0.0.1', family: 4, interface: 'lo', internal: true };
const wifi = (address: string): InterfaceAddress => ({ address, family: 4, interface: 'wlan0', internal: false });

describe('watchInterfaces', () => {
  it('calls back once per change of the non-loopback addresses, and never after stop', async () => {
    const clock = new ManualClock();
    const list = { current: [lo, wifi('192.0.2.10')] };
    let changes = 0;
    const stop = watchInterfaces(networkWith(list), clock, 10_000, () => changes++);
    await clock.advance(30_000);
    expect(changes).toBe(0);
    list.current = [lo, wifi('198.51.100.7')];
    await clock.advance(10_000);
    expect(changes).toBe(1);
    list.current = [{ ...lo, address: '127.0.0.2' }, wifi('198.51.100.7')];
    await clock.advance(10_000);
    expect(changes).toBe(1); // loopback only: no change
    stop();
    list.current = [lo];
    await clock.advance(60_000);
    expect(changes).toBe(1);
  });

  it('does nothing on a network that cannot list its interfaces', async () => {
    const clock = new ManualClock();
    const stop = watchInterfaces({ bindUdp: () => Promise.reject(new Error('x')), localAddressFor: () => Promise.resolve(undefined) }, clock, 1_000, () => {
      throw new Error('never');
    });
    await clock.advance(10_000);
    stop();
  });
});
