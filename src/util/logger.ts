/** The program's logger: pino, with every secret field redacted. */
import { pino, type Logger, type DestinationStream } from 'pino';
import { redactPaths } from './secrets.js';

export type { Logger };

/** Creates a logger that redacts secret fields (level: config.logLevel, default info); `destination` lets tests capture every line. */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    base: undefined,
    redact: { paths: redactPaths(), censor: '[redacted]' },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that writes nothing, for library use and quiet tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
