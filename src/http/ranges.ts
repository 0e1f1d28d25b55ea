import type { Request } from 'express';
import { RegistryError } from '../registry/errors.js';
import type { ByteRange } from '../registry/registry.js';

/**
 * Which bytes of a `size`-byte body to send: all of them, or one range (so an interrupted download resumes).
 * Several ranges are answered with the whole body (allowed by RFC 9110; multipart/byteranges buys a pack
 * client nothing). A Range the body cannot satisfy, or a malformed `bytes=` range, is RANGE_INVALID (416).
 */
export function chooseRange(req: Request, size: number, etag: string): ByteRange | null {
  if (!req.headers.range) return null;
  // If-Range: the client's partial copy is of another version of the bytes, so it needs them all.
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && ifRange !== etag) return null;
  const ranges = req.range(size);
  if (ranges === undefined) return null;
  if (ranges === -1 || ranges === -2) {
    throw new RegistryError(
      'RANGE_INVALID',
      `cannot satisfy Range "${req.headers.range}" for a body of ${size} bytes`,
      { range: req.headers.range, size },
    );
  }
  if (ranges.type !== 'bytes' || ranges.length !== 1) return null;
  const [range] = ranges;
  return range ? { start: range.start, end: range.end } : null;
}
