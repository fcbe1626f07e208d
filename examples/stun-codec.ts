import { createNodeNetwork } from '@natkit/net';
import {
  createTransactionId,
  decodeMessage,
  encodeMessage,
  readOtherAddress,
  readResponseOrigin,
  readXorMappedAddress,
  startStunServer,
  StunMethod,
  type StunMessage,
} from '@natkit/stun';

const network = createNodeNetwork();
// Four sockets: 127.0.0.1 and 127.0.0.2, each on two ports (the whole 127/8 is loopback on Linux).
const server = await startStunServer(
  { primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' }, software: 'example' },
  { network },
);
const [primary] = server.addresses();
if (primary === undefined) throw new Error('the server has no address');
const socket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
try {
  const transactionId = createTransactionId();
  const answer = new Promise<StunMessage>((resolve) => {
    socket.onMessage((data) => {
      const r = decodeMessage(new Uint8Array(data)); // copy: `data` is only valid during the call
      if (r.ok && r.value.class === 'success') resolve(r.value);
    });
  });
  const request = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId }, { fingerprint: true });
  socket.send(request, primary);
  const response = await answer;
  console.log('mapped', readXorMappedAddress(response));
  console.log('origin', readResponseOrigin(response), 'other', readOtherAddress(response));
  console.log(server.stats());
} finally {
  await socket.close();
  await server.close();
}
