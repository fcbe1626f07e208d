import type { Network } from '../src/index.js';

/**
 * A UDP port free on both 127.0.0.1 and ::1 a moment ago (found through port 0 on `network`,
 * then closed; loopback only): for a test server that needs a fixed port on both families, e.g.
 * `natkit serve --workers 2 --address6 ::1 --port P` (the workers share P with SO_REUSEPORT).
 */
export async function freeDualStackLoopbackPort(network: Network): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const four = await network.bindUdp({ family: 4, address: '127.0.0.1', port: 0 });
    const port = four.local.port;
    const six = await network.bindUdp({ family: 6, address: '::1', port }).catch(() => undefined);
    await four.close();
    await six?.close();
    if (six !== undefined) return port;
  }
  throw new Error('no UDP port free on both 127.0.0.1 and ::1 in 10 attempts');
}
