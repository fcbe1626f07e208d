import type { LogFields, Logger } from '@natkit/net';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, silent: 5 };

/** A logger writing one line per event to `write` (stderr in the CLI). */
export function createConsoleLogger(level: LogLevel, write: (line: string) => void, scope = 'natkit'): Logger {
  const at = (l: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields): void => {
    if (ORDER[l] < ORDER[level]) return;
    const extra = fields === undefined ? '' : ` ${JSON.stringify(fields)}`;
    write(`${new Date().toISOString()} ${l.toUpperCase()} [${scope}] ${message}${extra}\n`);
  };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (s) => createConsoleLogger(level, write, `${scope}:${s}`),
  };
}
