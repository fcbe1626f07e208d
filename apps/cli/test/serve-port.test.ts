import { NetworkError } from '@natkit/net';
import { StunError } from '@natkit/stun';
import { describe, expect, it } from 'vitest';
import { isTcpPortTaken } from '../src/commands/serve-streams.js';

const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:39560'), { code: 'EADDRINUSE' });
const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES' });

describe('natkit serve --port 0: which start failures another UDP port can cure', () => {
  it.each([
    ['the TCP listener found the number in use', new NetworkError('ERR_LISTEN', 'cannot listen on TCP 127.0.0.1:39560: listen EADDRINUSE', inUse), true],
    ['the TCP listener was refused the port', new NetworkError('ERR_LISTEN', 'cannot listen on TCP 0.0.0.0:80: listen EACCES', denied), false],
    ['EADDRINUSE from something other than the listener', new NetworkError('ERR_BIND', 'cannot bind UDP', inUse), false],
    ['a listen failure without its cause', new NetworkError('ERR_LISTEN', 'cannot listen'), false],
    ['a usage error', new StunError('ERR_USAGE', '--port takes a port'), false],
    ['a bare EADDRINUSE error', inUse, false],
    ['not an error', 'EADDRINUSE', false],
  ])('%s', (_name, error, expected) => {
    expect(isTcpPortTaken(error)).toBe(expected);
  });
});
