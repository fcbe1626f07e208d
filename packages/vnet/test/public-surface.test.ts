/**
 * The public types show what a user may call, not the internals (issue 10, item 6): routers,
 * hosts and links are interfaces; attaching, packet hand-over and the fabric stay inside.
 */
import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, type Router, type VirtualHost } from '../src/index.js';

describe('vnet public surface', () => {
  it('exposes no internals of routers, hosts and links in its types', async () => {
    const vnet = createVirtualNetwork();
    const router: Router = vnet.createRouter(vnet.internet);
    const host: VirtualHost = vnet.createHost(router);
    // @ts-expect-error attach is internal
    expect(typeof router.attach).toBe('function');
    // @ts-expect-error sendFrom is internal
    expect(typeof host.sendFrom).toBe('function');
    // @ts-expect-error transit is internal
    expect(typeof host.link.transit).toBe('function');
    expect(Object.keys({ ...router.uplink?.options })).toContain('loss');
    await vnet.close();
  });

  it("refuses a router that is not one of this network's", async () => {
    const a = createVirtualNetwork();
    const b = createVirtualNetwork();
    const fake: Router = { ...a.internet };
    expect(() => b.createRouter(a.internet)).toThrow(expect.objectContaining({ code: 'ERR_VNET_CONFIG' }));
    expect(() => a.createHost(fake)).toThrow(expect.objectContaining({ code: 'ERR_VNET_CONFIG' }));
    await a.close();
    await b.close();
  });
});
