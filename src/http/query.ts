import type { Request } from 'express';
import type { ErrorCode } from '../api/index.js';
import { RegistryError } from '../registry/errors.js';

/**
 * One query parameter, given at most once. `?layer=a&layer=b` (or `layer[]=a`) is refused with `code` rather
 * than read as one of the values or as none: a filter that is silently dropped answers a question nobody asked.
 */
export function singleQueryValue(req: Request, name: string, code: ErrorCode = 'QUERY_INVALID'): string | undefined {
  const value: unknown = req.query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new RegistryError(code, `the query parameter ${name} must be given once, as a plain value`, { parameter: name });
}
