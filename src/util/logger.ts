/** The program's logger: pino, with every secret field redacted. */
import { pino, type BaseLogger, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redactPaths } from './secrets.js';

/** What the program logs through: a pino logger, or fastify's (the host app's, when embedded). */
export type Logger = Pick<BaseLogger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'>;
export type { PinoLogger };

/** Creates a logger that redacts secret fields (level: config.logLevel, default info); `destination` lets tests capture every line. */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): PinoLogger {
  const opts = {
    level: options.level ?? 'info',
    base: undefined,
    redact: { paths: redactPaths(), censor: '[redacted]' },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that writes nothing, for library use and quiet tests. */
export function silentLogger(): PinoLogger {
  return pino({ level: 'silent' });
}
