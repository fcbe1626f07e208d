import { describe, expect, it } from 'vitest';
import { createConsoleLogger } from '../src/index.js';

describe('createConsoleLogger', () => {
  it('writes one line per event at or above its level, with the scope and fields', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({ level: 'info', write: (l) => lines.push(l) }).child('stun:server');
    logger.debug('hidden');
    logger.warn('busy', { port: 3478 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+Z WARN \[natkit:stun:server\] busy \{"port":3478\}\n$/);
  });

  it('refuses an unknown level', () => {
    expect(() => createConsoleLogger({ level: 'loud' as 'info' })).toThrow(TypeError);
  });
});
