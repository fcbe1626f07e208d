import { describe, expect, it } from 'vitest';
import { turnUrl } from '../../src/client/turn-url.js';

/** libdatachannel's reading of `turn:` URLs (src/configuration.cpp): RFC 3986 regex, then %XX decoding. */
function parseLikeLibdatachannel(url: string): { username: string; password: string; host: string } | undefined {
  const m = /^(([^:.@/?#]+):)?(\/{0,2}((([^:@]*)(:([^@]*))?)@)?(([^:/?#]*)(:([^/?#]*))?))?([^?#]*)(\?([^#]*))?(#(.*))?$/.exec(url);
  if (m === null) return undefined;
  const decode = (s: string | undefined): string => (s ?? '').replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return { username: decode(m[6]), password: decode(m[8]), host: m[10] ?? '' };
}

describe('turnUrl', () => {
  it('percent-encodes a REST user name (expiry:user) and a password with + / =', () => {
    const url = turnUrl({ host: '127.0.0.1', port: 3478, username: '1796364674:peer1', password: 'a+b/c=' });
    expect(url).toBe('turn:1796364674%3Apeer1:a%2Bb%2Fc%3D@127.0.0.1:3478?transport=udp');
    expect(parseLikeLibdatachannel(url)).toEqual({ username: '1796364674:peer1', password: 'a+b/c=', host: '127.0.0.1' });
  });

  it('shows why the raw form fails: the user name is cut at its first colon', () => {
    expect(parseLikeLibdatachannel('turn:1796364674:peer1:a+b/c=@127.0.0.1:3478')).toMatchObject({ username: '1796364674', password: 'peer1:a+b/c=' });
  });

  it('writes turns: for TLS, ?transport=tcp for TCP, and brackets IPv6 hosts', () => {
    expect(turnUrl({ host: 'turn.example', port: 5349, username: 'u', password: 'p', transport: 'tls' })).toBe('turns:u:p@turn.example:5349');
    expect(turnUrl({ host: '::1', port: 3478, username: 'u', password: 'p', transport: 'tcp' })).toBe('turn:u:p@[::1]:3478?transport=tcp');
  });
});
