import { pino, type Logger } from 'pino';
import type { RegistryConfig } from '../config/schema.js';

/** The process logger: JSON lines on stdout. Credentials are redacted wherever they could appear. */
export function createLogger(log: RegistryConfig['log']): Logger {
  return pino({
    level: log.level,
    base: { service: 'pack-registry' },
    redact: { paths: ['req.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
  });
}
