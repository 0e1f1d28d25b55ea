import type request from 'supertest';
import { ADMIN, type Credentials } from './users.js';

/** What pushArchive needs: the in-process app (app.ts) and the real server (registry.ts) both offer it. */
export interface AcceptsPosts {
  post(path: string): request.Test;
}

/**
 * supertest bound to a running registry, with its folder and lifecycle: what the in-process app (app.ts) and
 * the real server (registry.ts) both are to a test.
 */
export interface RegistryUnderTest extends AcceptsPosts {
  dir: string;
  url: string;
  get(path: string): request.Test;
  head(path: string): request.Test;
  put(path: string): request.Test;
  del(path: string): request.Test;
  /** Close the listener, the index and the storage lock; the folder stays, so starting again on `dir` is a restart. */
  stop(): Promise<void>;
  /**
   * Stop, and remove the folder unless the test passed it in (`dir`). Done by itself when the test or file
   * ends; calling it twice is fine.
   */
  destroy(): Promise<void>;
}

/** Push an archive as the admin (or `as`); returns the supertest request (not asserted here). */
export function pushArchive(target: AcceptsPosts, archive: Buffer, fields: Record<string, string> = {}, as: Credentials = ADMIN): request.Test {
  let test = target.post('/v1/packs').auth(as.user, as.password);
  for (const [name, value] of Object.entries(fields)) test = test.field(name, value);
  return test.attach('pack', archive, { filename: 'pack.tar.gz', contentType: 'application/gzip' });
}
