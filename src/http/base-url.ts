import type { Request } from 'express';

/**
 * Where clients reach the registry, `scheme://host[:port]`, for the absolute URLs a document carries
 * (`logoUrl`). `http.host` (Distribution's key) when set; otherwise the request's own: its protocol and Host
 * header — with `http.trustedproxies`, express reads them from a trusted proxy's `X-Forwarded-Proto` and
 * `X-Forwarded-Host`; from anyone else those headers are ignored. A Host that is not a plain `host[:port]`
 * gives no base (and so no `logoUrl`) rather than a URL built from whatever a client sent.
 */
export function baseUrlOf(req: Request, externalUrl: string | undefined): string | undefined {
  if (externalUrl !== undefined) return externalUrl;
  const host = req.host;
  if (typeof host !== 'string' || !PLAIN_HOST.test(host)) return undefined;
  return `${req.protocol}://${host}`;
}

/** A DNS name or IPv4 address with an optional port, or a bracketed IPv6 address with an optional port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;
