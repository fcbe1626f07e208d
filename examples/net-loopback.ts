import { createNodeNetwork } from '@natkit/net';

const net = createNodeNetwork();
const a = await net.bindUdp({ family: 4, address: '127.0.0.1' });
const b = await net.bindUdp({ family: 4, address: '127.0.0.1' });
const got = new Promise<string>((resolve) => {
  b.onMessage((data, from) => resolve(`${new TextDecoder().decode(data)} from port ${from.port}`));
});
a.send(new TextEncoder().encode('hello'), b.local);
console.log(await got); // hello from port 41234
await Promise.all([a.close(), b.close()]);
