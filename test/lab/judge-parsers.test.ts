/** The judges' parsers against output captured from the real tools in this lab (fixtures/). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNatDiscovery } from './judges/nat-discovery.js';
import { decodeStunClientCode, parseStunClient } from './judges/stun-client.js';

const fixture = (name: string) => readFileSync(new URL(`./judges/fixtures/${name}`, import.meta.url), 'utf8');

/** Stun fixtures start with "exit <code>" (the captured exit status). */
function stunFixture(name: string) {
  const text = fixture(name);
  const exitCode = Number(/^exit (\d+)/.exec(text)?.[1]);
  return parseStunClient(text, { exitCode });
}

describe('turnutils_natdiscovery output parser', () => {
  it.each([
    ['natdiscovery-FC.txt', 'endpoint-independent', 'endpoint-independent', false, 0, undefined],
    ['natdiscovery-SR.txt', 'address-and-port-dependent', 'address-and-port-dependent', false, 2, undefined],
    ['natdiscovery-NN.txt', 'endpoint-independent', 'endpoint-independent', true, 0, undefined],
    ['natdiscovery-UB.txt', 'unknown', 'unknown', false, 2, undefined],
    ['natdiscovery-HP.txt', 'endpoint-independent', 'address-and-port-dependent', false, 2, true],
  ] as const)('%s: mapping %s, filtering %s', (name, mapping, filtering, noNat, timeouts, hairpinning) => {
    const parsed = parseNatDiscovery(fixture(name));
    expect(parsed).toMatchObject({ mapping, filtering, noNat, timeouts, algDetected: false });
    expect(parsed.hairpinning).toBe(hairpinning);
  });

  it('collects the reflexive addresses', () => {
    expect(parseNatDiscovery(fixture('natdiscovery-SR.txt')).reflexiveAddresses.every((a) => /^203\.0\.113\.\d+:\d+$/.test(a))).toBe(true);
    expect(parseNatDiscovery(fixture('natdiscovery-UB.txt')).reflexiveAddresses).toEqual([]);
  });

  it('reports no hairpinning when the hairpin section has no request', () => {
    const raw = '\n-= Hairpinning Behavior Discovery =-\nRFC 5780 response 1\nSTUN receive timeout..\nSTUN receive timeout..\n';
    expect(parseNatDiscovery(raw)).toMatchObject({ hairpinning: false, mapping: 'unknown', timeouts: 2 });
  });

  it('reads an address-dependent verdict and ALG detection', () => {
    const raw = '\n-= Mapping Behavior Discovery =-\n-= ALG detected! Mapped and XOR-Mapped differ! =-\nNAT with Address Dependent Mapping!\n-= Filtering Behavior Discovery =-\nNAT with Address Dependent Filtering!\n';
    expect(parseNatDiscovery(raw)).toMatchObject({ mapping: 'address-dependent', filtering: 'address-dependent', algDetected: true });
  });
});

describe('classic stun client output parser', () => {
  it.each([
    ['stun-FC.txt', 'full-cone', true, false, 0x13],
    ['stun-HP.txt', 'port-restricted-cone', true, true, 0x07],
    ['stun-SR.txt', 'symmetric', false, false, 0x18],
    ['stun-NN.txt', 'open-internet', undefined, undefined, 0x01],
    ['stun-UB.txt', 'blocked', undefined, undefined, 0x1c],
  ] as const)('%s: %s', (name, classic, preservesPorts, hairpin, returnValue) => {
    const parsed = stunFixture(name);
    expect(parsed).toMatchObject({ classic, classicFromCode: classic, returnValue, exitCode: returnValue });
    expect(parsed.preservesPorts).toBe(preservesPorts);
    expect(parsed.hairpin).toBe(hairpin);
  });

  it.each([
    [0x00, 'open-internet', true, false],
    [0x02, 'full-cone', true, false],
    [0x15, 'restricted-cone', false, true],
    [0x17, 'port-restricted-cone', false, true],
    [0x18, 'symmetric', false, false],
    [0x1a, 'symmetric-firewall', false, false],
    [0x1c, 'blocked', false, false],
    [0xfe, 'unknown', false, false],
    [255, 'error', false, false],
  ] as const)('exit code %i decodes to %s', (code, classic, hairpin, preservesPorts) => {
    expect(decodeStunClientCode(code)).toEqual({ classic, hairpin, preservesPorts });
  });
});
