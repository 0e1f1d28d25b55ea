// The PackIndex contract (test/helpers/pack-index-conformance.ts) on the SQLite driver: the same suite the
// PostgreSQL driver passes on a real server (test/postgres), so the two cannot drift apart. In the process tier,
// not the fast one: its transaction tests wait on purpose (PostgreSQL needs the time; together about 1.7 s).
import { join } from 'node:path';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { whenDone } from '../helpers/cleanup.js';
import { describeIndexConformance } from '../helpers/pack-index-conformance.js';
import { makeTempDir } from '../helpers/files.js';

describeIndexConformance('SqliteIndex', async () => {
  const index = new SqliteIndex(join(await makeTempDir('sqlite-index-'), 'index.db'));
  whenDone(() => index.close());
  return index;
});
