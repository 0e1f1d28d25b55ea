import type request from 'supertest';
import { ADMIN, type Credentials } from './users.js';

/** What pushArchive needs: the in-process app (app.ts) and the real server (registry.ts) both offer it. */
export interface AcceptsPosts {
  post(path: string): request.Test;
}

/** Push an archive as the admin (or `as`); returns the supertest request (not asserted here). */
export function pushArchive(target: AcceptsPosts, archive: Buffer, fields: Record<string, string> = {}, as: Credentials = ADMIN): request.Test {
  let test = target.post('/v1/packs').auth(as.user, as.password);
  for (const [name, value] of Object.entries(fields)) test = test.field(name, value);
  return test.attach('pack', archive, { filename: 'pack.tar.gz', contentType: 'application/gzip' });
}
