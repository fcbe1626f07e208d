import type { LogFields, Logger } from './logger.js';

/** Log levels, most verbose first; `silent` logs nothing. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, silent: 5 };

export interface ConsoleLoggerOptions {
  /** Lowest level written; default `info`. */
  readonly level?: LogLevel;
  /** Where each line goes (with its newline); default the process's standard error. */
  readonly write?: (line: string) => void;
  /** Scope shown in brackets; `child(s)` appends `:s`. Default `natkit`. */
  readonly scope?: string;
}

const stderr = (line: string): void => {
  process.stderr.write(line);
};

/**
 * A logger writing one line per event: `<ISO time> <LEVEL> [<scope>] <message> <fields as JSON>`.
 *
 * @example
 * ```ts
 * import { createConsoleLogger } from '@natkit/net';
 * const logger = createConsoleLogger({ level: 'debug' });
 * logger.child('stun:server').info('serving', { port: 3478 });
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(level in ORDER)) throw new TypeError(`unknown log level ${String(level)}`);
  const write = options.write ?? stderr;
  const scope = options.scope ?? 'natkit';
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
    child: (s) => createConsoleLogger({ level, write, scope: `${scope}:${s}` }),
  };
}
