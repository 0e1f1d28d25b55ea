import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { RegistryConfig } from '../config/schema.js';

/**
 * Wherever a credential could end up in a log record, it is replaced. Request lines never carry headers
 * at all (see http/logging.ts); these paths are the second line of defence for anything logged by hand.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  /** Where lines go; stdout by default (the container's log). */
  destination?: DestinationStream;
}

/**
 * The process logger: one JSON object per line on stdout (`log.formatter: json`, the default), or a
 * readable single line per record for people (`log.formatter: text`). Writes are synchronous so the last
 * lines before `process.exit` are never lost.
 */
export function createLogger(log: RegistryConfig['log'], options: LoggerOptions = {}): Logger {
  const settings = {
    level: log.level,
    base: { service: 'pack-registry' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // "level":"info" rather than 30: what log shippers and people grep for.
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (log.formatter === 'text') {
    const stream = pretty({
      colorize: false,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
      ignore: 'pid,hostname,service',
      ...(options.destination ? { destination: options.destination } : {}),
    });
    return pino(settings, stream);
  }
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
