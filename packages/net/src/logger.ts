/** Structured fields attached to a log line. Never put credentials or keys here. */
export type LogFields = Readonly<Record<string, unknown>>;

/** An injected, scoped logger. Per-packet events go to `trace`. */
export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a sub-component, e.g. `logger.child('stun:server')`. */
  child(scope: string): Logger;
}

const noop = (): void => {};

/** A logger that discards everything: the default when none is injected. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};
