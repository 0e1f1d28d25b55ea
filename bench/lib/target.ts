// What every server in the comparison offers the scenarios: a process to watch, an HTTPS endpoint, and the
// registry's own idea of "push a pack" and "download a pack".
import type { BenchPack } from './packs.js';
import type { Endpoint } from './http.js';

export interface Target {
  /** Column label, e.g. "pack-registry (bcrypt 10)". */
  label: string;
  pid: number;
  endpoint: Endpoint;
  /** The Authorization header every request carries (absent for the unauthenticated ceilings). */
  authorization?: string;
  /** One complete push, as that registry's own client performs it; resolves when the registry answered. */
  push?(pack: BenchPack): Promise<void>;
  /** Untimed setup a push needs first (Distribution: the image config blob a manifest must name). */
  prepare?(pack: BenchPack): Promise<void>;
  /** An authenticated GET that does nothing else (a session's first request: it warms a credential cache). */
  probePath: string;
  /** Path of a GET that returns the pack's archive bytes. */
  downloadPath(pack: BenchPack): string;
  stop(): Promise<void>;
}

/** Thrown when a peer cannot be installed or started here: the bench says why and carries on without it. */
export class PeerUnavailable extends Error {}
