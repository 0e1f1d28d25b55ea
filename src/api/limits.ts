// The registry's default limits. They are part of the contract: the configuration's `limits.*` defaults
// are these numbers, and packctl judges a pack against them before uploading it (a registry configured
// otherwise is the judge of its own limits, and says so in its answer).

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS = {
  /** `limits.maxuploadsize`: bytes of one uploaded archive; beyond it 413 PACK_TOO_LARGE. */
  maxUploadSize: 512 * MIB,
  /** `limits.maxunpackedsize`: bytes all entries of an archive may unpack to; stops gzip bombs. */
  maxUnpackedSize: 2048 * MIB,
  /** `limits.maxentries`: files and folders in one archive. */
  maxEntries: 10_000,
  /** `limits.maxconcurrentuploads`: uploads received at once; beyond it 503 TOO_MANY_UPLOADS. */
  maxConcurrentUploads: 8,
  /**
   * `limits.maxconcurrentfilereads`: `/files` reads searching their archives at once (each may inflate up to
   * maxUnpackedSize); beyond it 503 TOO_MANY_FILE_READS. Inflation runs on libuv's threadpool (4 threads),
   * which archive downloads and logins need too: two searches at most leave them room.
   */
  maxConcurrentFileReads: 2,
  /** `limits.authfailures`: failed logins per user and address within the window before 429 TOO_MANY_REQUESTS. */
  authFailures: 10,
  /** `limits.authwindow`, in milliseconds (one minute). */
  authWindowMs: 60_000,
  /**
   * `limits.authfailuresperaddress`: failed logins from one client address, whatever the user names, within
   * the window before 429 TOO_MANY_REQUESTS. Three users' worth of typos: a shared NAT keeps working.
   */
  authFailuresPerAddress: 30,
  /** `limits.maxconcurrentlogins`: bcrypt verifications at once; below libuv's 4 threads, which file I/O needs too. */
  maxConcurrentLogins: 2,
  /** `limits.maxqueuedlogins`: verifications waiting for a turn; beyond it 503 TOO_MANY_LOGINS. */
  maxQueuedLogins: 64,
} as const;

/** Items in a list page when `?n=` is not given. */
export const DEFAULT_PAGE_SIZE = 100;

/** The largest page: a larger `?n=` is lowered to it, as Distribution does, rather than refused. */
export const MAX_PAGE_SIZE = 1000;
