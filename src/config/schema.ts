import { isIP, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import * as z from 'zod';
import { DEFAULT_LIMITS } from '../api/index.js';
import type { WebhookEndpoint } from '../registry/notifications.js';
import type { S3Settings } from '../storage/s3/client.js';

/**
 * The configuration as the rest of the code sees it: camelCase, every default applied, every path
 * absolute, addresses and durations parsed. Built once at start by `loadConfig`.
 */
export interface RegistryConfig {
  log: { level: LogLevel; formatter: 'json' | 'text' };
  storage:
    | { kind: 'filesystem'; rootDirectory: string; readOnly: boolean }
    | {
        kind: 's3';
        /**
         * `storage.s3.localdirectory`: the local folder of what stays on this machine with an S3 storage (index.db,
         * tokens.json and tokens.key, registry.lock); the blobs and metadata documents are in the bucket.
         */
        rootDirectory: string;
        s3: S3StorageConfig;
        readOnly: boolean;
      }
    | { kind: 'inmemory'; readOnly: boolean };
  /**
   * Where the index lives: SQLite (`index.db` in the storage's local folder, one process), or a PostgreSQL
   * database that several replicas share.
   */
  index: { driver: 'sqlite' } | { driver: 'postgres'; postgres: PostgresIndexConfig };
  http: {
    /** `undefined` means every interface (`addr: :5000`). */
    host: string | undefined;
    /** 0 asks the OS for a free port (tests). */
    port: number;
    /** Response headers: the contract's defaults, each replaced by a file entry of the same name. */
    headers: Record<string, string[]>;
    drainTimeoutMs: number;
    /**
     * Proxies whose X-Forwarded-For is believed (addresses, CIDR ranges, or express's `loopback`,
     * `linklocal`, `uniquelocal`); empty: the client is the socket's peer, whatever the headers say.
     */
    trustedProxies: string[];
    /**
     * `http.host` (Distribution's key): where clients reach the registry, `scheme://host[:port]` without a
     * trailing slash, for the absolute URLs in documents (`logoUrl`); `undefined`: each request's own.
     */
    externalUrl: string | undefined;
    /** Against slow clients (slowloris): the TLS handshake, headers, the whole request, and a silent socket. */
    timeouts: { handshakeMs: number; headerMs: number; requestMs: number; idleMs: number; lingerMs: number };
    /** Open connections at once (TLS handshakes included); Node closes every one beyond at once. */
    maxConnections: number;
    tls: {
      /** Plain HTTP only when explicitly `false`. */
      enabled: boolean;
      certificate: string;
      key: string;
      clientCas: string[];
      minimumTls: 'TLSv1.2' | 'TLSv1.3';
      selfSigned: { enabled: boolean; hosts: string[] };
    };
    debug: { addr?: ListenAddress; prometheus: { enabled: boolean; path: string } };
  };
  auth:
    | {
        kind: 'htpasswd';
        realm: string;
        path: string;
        admins: string[];
        /** `auth.anonymous.read`: GET and HEAD under /v1 without credentials, as the reader `anonymous`; absent: off. */
        anonymousRead?: true;
      }
    | { kind: 'none' };
  limits: {
    maxUploadSize: number;
    maxUnpackedSize: number;
    maxEntries: number;
    /** Uploads received at once; more answer 503 TOO_MANY_UPLOADS, so slow uploads cannot exhaust the disk or memory. */
    maxConcurrentUploads: number;
    /** `/files` reads searching their archives at once; more answer 503 TOO_MANY_FILE_READS (http/file-reads.ts). */
    maxConcurrentFileReads: number;
    /** Failed logins for one user from one address within `authWindowMs` before 429 TOO_MANY_REQUESTS. */
    authFailures: number;
    authWindowMs: number;
    /** Failed logins from one client address, whatever the user names, within `authWindowMs` before 429. */
    authFailuresPerAddress: number;
    /** bcrypt verifications at once (libuv's threadpool is shared with file I/O). */
    maxConcurrentLogins: number;
    /** Verifications waiting for a turn; more answer 503 TOO_MANY_LOGINS. */
    maxQueuedLogins: number;
  };
  /** Webhooks (Distribution's `notifications.endpoints`), delivered from the durable outbox. */
  notifications: { endpoints: NotificationEndpointConfig[] };
  /** The change feed (`GET /v1/events`): events older than `maxAgeMs` are pruned; cursors before them expire. */
  changeFeed: { maxAgeMs: number };
  /** Retention rules: applied by `pack-registry gc`, and by the server every `scheduleMs` when set. */
  retention: { scheduleMs: number | undefined; rules: RetentionRuleConfig[] };
}

/** `notifications.endpoints[]`: what the delivery worker needs (registry/notifications.ts), and whether it is off. */
export interface NotificationEndpointConfig extends WebhookEndpoint {
  disabled: boolean;
}

/** A retention rule for the packs whose name matches `pattern`; the global rule is the last, pattern `*`. */
export interface RetentionRuleConfig {
  pattern: string;
  keepLast?: number;
  keepWithinMs?: number;
  keepTagged: boolean;
  keepPulledWithinMs?: number;
}

/** `index.postgres`: the database's URL (with its credentials) and the connections each replica opens at most. */
export interface PostgresIndexConfig {
  dsn: string;
  poolSize: number;
}

/** `storage.s3`, resolved: the endpoint built, the prefix trimmed, the key pair checked (see storage/s3/client.ts). */
export type S3StorageConfig = S3Settings;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** The contract's default response headers (Distribution's spelling: one list of values per header). */
export const DEFAULT_HTTP_HEADERS: Readonly<Record<string, readonly string[]>> = {
  'X-Content-Type-Options': ['nosniff'],
  'Strict-Transport-Security': ['max-age=63072000; includeSubdomains; preload'],
  // Everything from the registry's own origin only, and nothing inline: the web UI (src/http/ui) ships one
  // stylesheet and one script file, so a README's markup or a pack's values can never run or call out.
  'Content-Security-Policy': ["default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"],
  'X-Frame-Options': ['DENY'],
  'X-XSS-Protection': ['1; mode=block'],
  'Referrer-Policy': ['same-origin'],
};

export const DEFAULT_SELF_SIGNED_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/**
 * Docker Distribution keys that admins bring along when they copy a Distribution config. They mean
 * nothing here; refusing them would make every copied file fail, so they are dropped with a warning.
 * Dotted paths in the YAML spelling; a listed key ignores its whole subtree.
 */
export const IGNORED_DISTRIBUTION_KEYS: readonly string[] = [
  'health',
  'notifications.events',
  'redis',
  'middleware',
  'validation',
  'compatibility',
  'proxy',
  'reporting',
  'catalog',
  'loglevel',
  'log.accesslog',
  'log.fields',
  'log.hooks',
  'log.reportcaller',
  'storage.delete',
  'storage.cache',
  'storage.redirect',
  'storage.tag',
  'storage.maintenance.uploadpurging',
  'storage.filesystem.maxthreads',
  // Distribution's s3 keys that change nothing here: requests are always signed with v4, and the SDK names
  // itself and logs through the registry.
  'storage.s3.v4auth',
  'storage.s3.useragent',
  'storage.s3.loglevel',
  'http.secret',
  'http.prefix',
  'http.relativeurls',
  'http.http2',
  'http.h2c',
  'http.net',
  'http.tls.letsencrypt',
  'http.tls.ciphersuites',
];

/**
 * Sections whose mapping holds exactly one "kind" key (Distribution's storage driver style), and which
 * may be written as the bare kind name: `storage: inmemory`, `auth: none`.
 */
export const SELECTOR_SECTIONS = {
  storage: ['filesystem', 's3', 'inmemory'],
  auth: ['htpasswd', 'none'],
} as const satisfies Record<string, readonly string[]>;

export type SelectorSection = keyof typeof SELECTOR_SECTIONS;

export function isSelectorSection(key: string): key is SelectorSection {
  return Object.hasOwn(SELECTOR_SECTIONS, key);
}

/** `storage: inmemory` → `{inmemory: {}}`; absent → `{}`; anything else is left for validation to judge. */
export function expandSelectorShorthand(section: SelectorSection, value: unknown): unknown {
  if (value === null || value === undefined) return {};
  const kinds: readonly string[] = SELECTOR_SECTIONS[section];
  if (typeof value === 'string' && kinds.includes(value)) return { [value]: {} };
  return value;
}

/** Describes a value for an error message: strings quoted, collections by their kind. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

export type ListenAddressResult = { ok: true; address: ListenAddress } | { ok: false; reason: string };

/** Parses Go's `host:port` (`:5000`, `127.0.0.1:5443`, `[::1]:5000`, `localhost:0`). */
export function parseListenAddress(value: unknown): ListenAddressResult {
  const expected = `expected host:port like ":5000", got ${describeValue(value)}`;
  if (typeof value !== 'string') return { ok: false, reason: expected };
  const match = /^(?:\[([^\]]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(value.trim());
  if (!match) return { ok: false, reason: expected };
  const [, bracketed, plain, portText] = match;
  if (bracketed !== undefined && !isIPv6(bracketed)) {
    return { ok: false, reason: `expected an IPv6 address inside [ ], got ${describeValue(value)}` };
  }
  const port = Number(portText);
  if (port > 65535) {
    return { ok: false, reason: `expected a port from 0 to 65535, got ${describeValue(value)}` };
  }
  const host = bracketed ?? (plain === '' ? undefined : plain);
  return { ok: true, address: { host, port } };
}

const DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Distribution durations: Go's `time.ParseDuration` syntax (`30s`, `500ms`, `1m30s`, `1.5h`), or a bare
 * number of seconds. Returns whole milliseconds, or `undefined` when the value is not a valid,
 * non-negative duration.
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '0') return 0;
  if (text === '') return undefined;
  // `ms` before `m` and `s`: alternation takes the first unit that matches.
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  while (part.lastIndex < text.length) {
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Building blocks. Messages name what was expected and what was found; `loadConfig` prefixes the key.

/** A YAML mapping key written with no value (`log:`) means "all defaults", like an empty mapping. */
function nullAsEmptyMapping(value: unknown): unknown {
  return value === null || value === undefined ? {} : value;
}

function section<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.preprocess(nullAsEmptyMapping, z.strictObject(shape));
}

/** YAML reads `realm: 2024` as a number; a string-valued setting takes it as the text it was written as. */
function numberAsString(value: unknown): unknown {
  return typeof value === 'number' ? String(value) : value;
}

/** A single value where a list is expected (`admins: alice`) is a list of one; `clientcas:` is none. */
function scalarAsList(value: unknown): unknown {
  if (value === null) return [];
  if (typeof value === 'string' || typeof value === 'number') return [value];
  return value;
}

function hasUnsafeHeaderCharacter(text: string): boolean {
  return [...text].some((character) => {
    const code = character.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });
}

const filePath = z.preprocess(numberAsString, z.string().min(1));

const filePathList = z.preprocess(scalarAsList, z.array(filePath));

const listenAddress = z.unknown().transform((value, ctx) => {
  const parsed = parseListenAddress(value);
  if (parsed.ok) return parsed.address;
  ctx.addIssue({ code: 'custom', message: parsed.reason, input: value });
  return z.NEVER;
});

const duration = z.unknown().transform((value, ctx) => {
  const milliseconds = parseDurationMs(value);
  if (milliseconds !== undefined) return milliseconds;
  ctx.addIssue({
    code: 'custom',
    message: `expected a duration like "30s", "500ms" or "1m", or a number of seconds, got ${describeValue(value)}`,
    input: value,
  });
  return z.NEVER;
});

const positiveIntegerMessage = (issue: { input?: unknown }): string =>
  `expected a positive whole number, got ${describeValue(issue.input)}`;

const positiveInteger = z.int({ error: positiveIntegerMessage }).positive({ error: positiveIntegerMessage });

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headerValues = z.preprocess(
  scalarAsList,
  z.array(
    z.preprocess(
      numberAsString,
      z.string().refine((text) => !hasUnsafeHeaderCharacter(text), {
        error: 'header values must not contain line breaks or control characters',
      }),
    ),
  ),
);

const headers = z.preprocess(
  nullAsEmptyMapping,
  z.record(z.string(), headerValues).superRefine((entries, ctx) => {
    for (const name of Object.keys(entries)) {
      if (!HEADER_NAME.test(name)) {
        const message = `${JSON.stringify(name)} is not a valid HTTP header name`;
        ctx.addIssue({ code: 'custom', path: [name], message });
      }
    }
  }),
);

const hostName = z.preprocess(
  numberAsString,
  z.string().regex(/^[A-Za-z0-9*._:%-]+$/, {
    error: (issue) => `expected a host name or IP address, got ${describeValue(issue.input)}`,
  }),
);

const realm = z.preprocess(
  numberAsString,
  z
    .string()
    .min(1)
    .refine((text) => !text.includes('"') && !text.includes('\\') && !hasUnsafeHeaderCharacter(text), {
      // The realm is sent quoted in WWW-Authenticate.
      error: 'a realm must not contain quotes, backslashes or control characters',
    }),
);

const userName = z.preprocess(
  numberAsString,
  z
    .string()
    .min(1)
    .refine((name) => !name.includes(':'), { error: 'a user name must not contain ":" (the htpasswd separator)' }),
);

/** express's names for the private ranges (proxy-addr): `loopback`, `linklocal`, `uniquelocal`. */
const PROXY_RANGE_NAMES: readonly string[] = ['loopback', 'linklocal', 'uniquelocal'];

/** An address or CIDR range (`10.0.0.0/8`, `fd00::/8`) as express's `trust proxy` takes it, or a range name. */
function isTrustedProxyEntry(text: string): boolean {
  if (PROXY_RANGE_NAMES.includes(text)) return true;
  const [address = '', prefix, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustedProxy = z.preprocess(
  numberAsString,
  z.string().refine(isTrustedProxyEntry, {
    error: (issue) =>
      `expected an IP address, a CIDR range like "10.0.0.0/8", or one of ${PROXY_RANGE_NAMES.join(', ')}, got ${describeValue(issue.input)}`,
  }),
);

/**
 * `http.host`: an http(s) URL naming the registry's origin, as Distribution's `http.host` does
 * (`https://registry.example.com`, `http://10.0.0.5:5000`). A path, query, fragment or user name is refused:
 * this registry serves its API at `/v1/` of its origin, nowhere else. Kept in its normal form, without a slash.
 */
const externalUrl = z.preprocess(
  numberAsString,
  z.string().transform((value, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== ''
      || url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `expected an http(s) URL of the registry's origin like "https://registry.example.com", got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    return url.origin;
  }),
);

const version = z
  .unknown()
  .superRefine((value, ctx) => {
    if (String(value) !== '0.1') {
      ctx.addIssue({ code: 'custom', message: `expected 0.1, got ${describeValue(value)}`, input: value });
    }
  })
  .optional();

function selectorSection<Shape extends z.core.$ZodLooseShape>(name: SelectorSection, shape: Shape) {
  const kinds: readonly string[] = SELECTOR_SECTIONS[name];
  return z.preprocess(
    (value) => expandSelectorShorthand(name, value),
    z
      .strictObject(shape, {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `expected a mapping or one of ${kinds.join(', ')}, got ${describeValue(issue.input)}`
            : undefined,
      })
      .superRefine((value, ctx) => {
        const chosen = kinds.filter((kind) => (value as Record<string, unknown>)[kind] !== undefined);
        if (chosen.length > 1) {
          ctx.addIssue({ code: 'custom', message: `choose one of ${chosen.join(', ')}, not several` });
        }
      }),
  );
}

const htpasswdAuth = section({
  realm: realm.default('basic-realm'),
  path: filePath.default('./storage/htpasswd'),
  admins: z.preprocess(scalarAsList, z.array(userName)).default(() => ['admin']),
});

const filesystemStorage = section({ rootdirectory: filePath.default('./storage') });

/** S3's smallest multipart part, and Distribution's default `chunksize`. */
const MIN_S3_CHUNK_SIZE = 5 * 1024 * 1024;
const DEFAULT_S3_CHUNK_SIZE = 10 * 1024 * 1024;

const endpointUrl = z.preprocess(
  numberAsString,
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.search === '' && url.hash === '';
      } catch {
        return false;
      }
    },
    { error: (issue) => `expected an http(s) URL like "https://s3.example.com:9000", got ${describeValue(issue.input)}` },
  ),
);

const s3Text = z.preprocess(numberAsString, z.string().min(1));

/**
 * Distribution's `storage.s3` keys, and the Spectro docs' `host`/`port` form of an endpoint (with `secure`
 * choosing https or http). `localdirectory` is this registry's own: where index.db, the tokens and the lock live.
 */
const s3Storage = section({
  region: s3Text.default('us-east-1'),
  bucket: s3Text,
  rootdirectory: z.preprocess(numberAsString, z.string()).default(''),
  regionendpoint: endpointUrl.optional(),
  host: hostName.optional(),
  port: z.int({ error: (issue) => `expected a port from 1 to 65535, got ${describeValue(issue.input)}` }).min(1).max(65535).optional(),
  secure: z.boolean().default(true),
  forcepathstyle: z.boolean().optional(),
  accesskey: s3Text.optional(),
  secretkey: s3Text.optional(),
  encrypt: z.boolean().default(false),
  chunksize: positiveInteger
    .refine((size) => size >= MIN_S3_CHUNK_SIZE, { error: `must be at least ${MIN_S3_CHUNK_SIZE} (5 MiB), the smallest part S3 accepts` })
    .default(DEFAULT_S3_CHUNK_SIZE),
  localdirectory: filePath.default('./storage'),
}).superRefine((s3, ctx) => {
  if (s3.regionendpoint !== undefined && s3.host !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['host'], message: 'set regionendpoint or host (and port), not both' });
  }
  if (s3.port !== undefined && s3.host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['port'], message: 'a port needs storage.s3.host' });
  }
  if ((s3.accesskey === undefined) !== (s3.secretkey === undefined)) {
    const missing = s3.accesskey === undefined ? 'accesskey' : 'secretkey';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'set accesskey and secretkey together, or neither (the AWS default credential chain)' });
  }
  if (/(^|\/)\.\.?(\/|$)/.test(s3.rootdirectory)) {
    ctx.addIssue({ code: 'custom', path: ['rootdirectory'], message: 'must not contain "." or ".." segments' });
  }
});

type RawS3Storage = z.output<typeof s3Storage>;

function s3StorageConfig(raw: RawS3Storage): S3StorageConfig {
  const hostEndpoint =
    raw.host === undefined
      ? undefined
      : `${raw.secure ? 'https' : 'http'}://${raw.host.includes(':') ? `[${raw.host}]` : raw.host}${raw.port === undefined ? '' : `:${raw.port}`}`;
  const endpoint = raw.regionendpoint?.replace(/\/+$/, '') ?? hostEndpoint;
  return {
    region: raw.region,
    bucket: raw.bucket,
    rootDirectory: raw.rootdirectory.replace(/^\/+|\/+$/g, ''),
    endpoint,
    // MinIO, Ceph and moto serve buckets by path unless set up with a wildcard domain; AWS by host name.
    forcePathStyle: raw.forcepathstyle ?? endpoint !== undefined,
    credentials: raw.accesskey !== undefined && raw.secretkey !== undefined ? { accessKeyId: raw.accesskey, secretAccessKey: raw.secretkey } : undefined,
    encrypt: raw.encrypt,
    chunkSize: raw.chunksize,
  };
}

/** pg's own default: enough for a replica's concurrent requests, few enough for several replicas on one server. */
const DEFAULT_POSTGRES_POOL_SIZE = 10;

/**
 * `index.postgres.dsn`: a `postgres://` or `postgresql://` URL. The message never repeats the value: it holds
 * the database password.
 */
const postgresDsn = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { error: 'expected a URL like "postgres://user:password@host:5432/database" (the value is not shown: it may hold a password)' },
);

const rawIndex = section({
  driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
  postgres: section({
    dsn: postgresDsn.optional(),
    poolsize: positiveInteger.default(DEFAULT_POSTGRES_POOL_SIZE),
  }).optional(),
}).superRefine((index, ctx) => {
  if (index.driver === 'postgres' && index.postgres?.dsn === undefined) {
    ctx.addIssue({ code: 'custom', path: ['postgres', 'dsn'], message: 'required with index.driver: postgres' });
  }
  // Replicas each silently on an index of their own would accept pushes the others never see.
  if (index.driver === 'sqlite' && index.postgres !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['postgres'], message: 'set, but index.driver is sqlite: set index.driver: postgres (REGISTRY_INDEX_DRIVER=postgres), or remove index.postgres' });
  }
});

/**
 * `notifications.endpoints[]`: Distribution's keys (name, url, headers, timeout, threshold, backoff, disabled),
 * plus `maxbackoff` (the cap of the doubling backoff) and `secret` (signs each body with HMAC-SHA256).
 */
const webhookUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  },
  { error: (issue) => `expected an http(s) URL without credentials in it (put them in headers), got ${describeValue(issue.input)}` },
);

const notificationEndpoint = z.preprocess(
  nullAsEmptyMapping,
  z.strictObject({
    name: z.preprocess(numberAsString, z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, { error: 'an endpoint name may hold letters, digits, ".", "_" and "-"' })),
    url: webhookUrl,
    headers: headers.default(() => ({})),
    timeout: duration.prefault('5s'),
    threshold: positiveInteger.default(20),
    backoff: duration.prefault('1s'),
    maxbackoff: duration.prefault('10m'),
    disabled: z.boolean().default(false),
    secret: z.preprocess(numberAsString, z.string().min(1)).optional(),
  }),
);

const nonNegativeIntegerMessage = (issue: { input?: unknown }): string => `expected a whole number of at least 0, got ${describeValue(issue.input)}`;
const nonNegativeInteger = z.int({ error: nonNegativeIntegerMessage }).min(0, { error: nonNegativeIntegerMessage });

const retentionKeys = {
  keeplast: nonNegativeInteger.optional(),
  keepwithin: duration.optional(),
  keeptagged: z.boolean().optional(),
  keeppulledwithin: duration.optional(),
};

const rawNotifications = section({
  endpoints: z
    .preprocess(scalarAsList, z.array(notificationEndpoint))
    .default(() => [])
    .superRefine((endpoints, ctx) => {
      const seen = new Set<string>();
      endpoints.forEach((endpoint, index) => {
        if (seen.has(endpoint.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `another endpoint is named ${JSON.stringify(endpoint.name)}` });
        seen.add(endpoint.name);
      });
    }),
});

const rawRetention = section({
  schedule: duration.optional(),
  ...retentionKeys,
  packs: z
    .preprocess(scalarAsList, z.array(z.preprocess(nullAsEmptyMapping, z.strictObject({ pattern: z.preprocess(numberAsString, z.string().min(1)), ...retentionKeys }))))
    .default(() => []),
});

/**
 * The configuration file's schema, in Distribution's spelling, with every default from the contract.
 * Unknown keys are refused (`strictObject`), so a typo never silently falls back to a default.
 */
export const rawConfigSchema = section({
  version,
  log: section({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    formatter: z.enum(['json', 'text']).default('json'),
  }),
  storage: selectorSection('storage', {
    filesystem: filesystemStorage.optional(),
    s3: s3Storage.optional(),
    inmemory: section({}).optional(),
    maintenance: section({ readonly: section({ enabled: z.boolean().default(false) }) }),
  }),
  index: rawIndex,
  http: section({
    addr: listenAddress.prefault(':5000'),
    draintimeout: duration.prefault('30s'),
    // Nobody by default: behind no proxy, a forwarded address is whatever the client chose to write.
    trustedproxies: z.preprocess(scalarAsList, z.array(trustedProxy)).default(() => []),
    host: externalUrl.optional(),
    timeouts: section({
      // A TLS handshake takes milliseconds; a connection that has not finished one by then never will.
      handshake: duration.prefault('10s'),
      header: duration.prefault('20s'),
      // Generous: a 512 MiB push over a slow link must still fit; silent clients are cut by `idle` long before.
      request: duration.prefault('15m'),
      // Long enough for the server's own silence while it validates a large push (the client waits idle then).
      idle: duration.prefault('2m'),
      // How long the rest of a body the registry refused early is read and dropped (see http/linger.ts).
      linger: duration.prefault('5s'),
    }),
    // Each connection holds a file descriptor and buffers; far more than the registry's clients open at once.
    maxconnections: positiveInteger.default(1024),
    headers: headers.default(() => ({})),
    tls: section({
      enabled: z.boolean().default(true),
      certificate: filePath.default('./certs/tls.crt'),
      key: filePath.default('./certs/tls.key'),
      clientcas: filePathList.default(() => []),
      minimumtls: z.enum(['tls1.2', 'tls1.3']).default('tls1.2'),
      selfsigned: section({
        enabled: z.boolean().default(true),
        hosts: z.preprocess(scalarAsList, z.array(hostName)).default(() => [...DEFAULT_SELF_SIGNED_HOSTS]),
      }),
    }),
    debug: section({
      addr: listenAddress.optional(),
      prometheus: section({
        enabled: z.boolean().default(false),
        path: z.string().startsWith('/', { error: 'expected a URL path starting with "/"' }).default('/metrics'),
      }),
    }),
  }).superRefine((http, ctx) => {
    const debugAddress = http.debug.addr;
    if (debugAddress && debugAddress.port !== 0 && debugAddress.port === http.addr.port) {
      const message = `must not use the same port as http.addr (${http.addr.port})`;
      ctx.addIssue({ code: 'custom', path: ['debug', 'addr'], message });
    }
  }),
  auth: selectorSection('auth', {
    htpasswd: htpasswdAuth.optional(),
    none: section({}).optional(),
    // Palette's "no authentication" registries: reads without credentials; writes still need an admin.
    anonymous: section({ read: z.boolean().default(false) }),
  }),
  limits: section({
    maxuploadsize: positiveInteger.default(DEFAULT_LIMITS.maxUploadSize),
    maxunpackedsize: positiveInteger.default(DEFAULT_LIMITS.maxUnpackedSize),
    maxentries: positiveInteger.default(DEFAULT_LIMITS.maxEntries),
    maxconcurrentuploads: positiveInteger.default(DEFAULT_LIMITS.maxConcurrentUploads),
    maxconcurrentfilereads: positiveInteger.default(DEFAULT_LIMITS.maxConcurrentFileReads),
    authfailures: positiveInteger.default(DEFAULT_LIMITS.authFailures),
    authwindow: duration.default(DEFAULT_LIMITS.authWindowMs),
    authfailuresperaddress: positiveInteger.default(DEFAULT_LIMITS.authFailuresPerAddress),
    maxconcurrentlogins: positiveInteger.default(DEFAULT_LIMITS.maxConcurrentLogins),
    maxqueuedlogins: positiveInteger.default(DEFAULT_LIMITS.maxQueuedLogins),
  }),
  notifications: rawNotifications,
  // 90 days: a mirror that syncs daily, or was off for weeks, follows the feed instead of resyncing.
  changefeed: section({ maxage: duration.prefault('2160h') }),
  retention: rawRetention,
});

/** The validated file, still in Distribution's spelling. */
export type RawConfig = z.output<typeof rawConfigSchema>;

/** Messages for zod's own checks, in the same voice as the custom ones above. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${EXPECTED_TYPE[issue.expected] ?? issue.expected}, ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}, ${got}`;
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return `must not be empty`;
      return `expected at least ${String(issue.minimum)}, ${got}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
};

const EXPECTED_TYPE: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

const MINIMUM_TLS = { 'tls1.2': 'TLSv1.2', 'tls1.3': 'TLSv1.3' } as const;

/**
 * Turns the validated file into the typed configuration: camelCase, paths made absolute against `cwd`,
 * the default headers merged with the file's.
 */
export function normaliseConfig(raw: RawConfig, cwd: string): RegistryConfig {
  const absolute = (path: string): string => resolve(cwd, path);
  const readOnly = raw.storage.maintenance.readonly.enabled;
  const filesystem = raw.storage.filesystem ?? filesystemStorage.parse({});
  const htpasswd = raw.auth.htpasswd ?? htpasswdAuth.parse({});
  const { tls, debug } = raw.http;

  return {
    log: { level: raw.log.level, formatter: raw.log.formatter },
    storage:
      raw.storage.inmemory !== undefined
        ? { kind: 'inmemory', readOnly }
        : raw.storage.s3 !== undefined
          ? { kind: 's3', rootDirectory: absolute(raw.storage.s3.localdirectory), s3: s3StorageConfig(raw.storage.s3), readOnly }
          : { kind: 'filesystem', rootDirectory: absolute(filesystem.rootdirectory), readOnly },
    index: indexConfig(raw.index),
    http: {
      host: raw.http.addr.host,
      port: raw.http.addr.port,
      headers: mergeHeaders(DEFAULT_HTTP_HEADERS, raw.http.headers),
      drainTimeoutMs: raw.http.draintimeout,
      trustedProxies: [...raw.http.trustedproxies],
      externalUrl: raw.http.host,
      timeouts: {
        handshakeMs: raw.http.timeouts.handshake,
        headerMs: raw.http.timeouts.header,
        requestMs: raw.http.timeouts.request,
        idleMs: raw.http.timeouts.idle,
        lingerMs: raw.http.timeouts.linger,
      },
      maxConnections: raw.http.maxconnections,
      tls: {
        enabled: tls.enabled,
        certificate: absolute(tls.certificate),
        key: absolute(tls.key),
        clientCas: tls.clientcas.map(absolute),
        minimumTls: MINIMUM_TLS[tls.minimumtls],
        selfSigned: { enabled: tls.selfsigned.enabled, hosts: [...tls.selfsigned.hosts] },
      },
      debug: {
        ...(debug.addr ? { addr: debug.addr } : {}),
        prometheus: { enabled: debug.prometheus.enabled, path: debug.prometheus.path },
      },
    },
    auth:
      raw.auth.none !== undefined
        ? { kind: 'none' }
        : {
            kind: 'htpasswd',
            realm: htpasswd.realm,
            path: absolute(htpasswd.path),
            admins: [...htpasswd.admins],
            ...(raw.auth.anonymous.read ? { anonymousRead: true as const } : {}),
          },
    limits: {
      maxUploadSize: raw.limits.maxuploadsize,
      maxUnpackedSize: raw.limits.maxunpackedsize,
      maxEntries: raw.limits.maxentries,
      maxConcurrentUploads: raw.limits.maxconcurrentuploads,
      maxConcurrentFileReads: raw.limits.maxconcurrentfilereads,
      authFailures: raw.limits.authfailures,
      authWindowMs: raw.limits.authwindow,
      authFailuresPerAddress: raw.limits.authfailuresperaddress,
      maxConcurrentLogins: raw.limits.maxconcurrentlogins,
      maxQueuedLogins: raw.limits.maxqueuedlogins,
    },
    notifications: {
      endpoints: raw.notifications.endpoints.map((endpoint) => ({
        name: endpoint.name,
        url: endpoint.url,
        headers: endpoint.headers,
        timeoutMs: endpoint.timeout,
        threshold: endpoint.threshold,
        backoffMs: endpoint.backoff,
        maxBackoffMs: Math.max(endpoint.maxbackoff, endpoint.backoff),
        disabled: endpoint.disabled,
        ...(endpoint.secret !== undefined ? { secret: endpoint.secret } : {}),
      })),
    },
    changeFeed: { maxAgeMs: raw.changefeed.maxage },
    retention: { scheduleMs: raw.retention.schedule || undefined, rules: retentionRules(raw.retention) },
  };
}

/** Validation has refused a postgres driver without a dsn, so it is present here. */
function indexConfig(raw: RawConfig['index']): RegistryConfig['index'] {
  const postgres = raw.postgres;
  if (raw.driver === 'postgres' && postgres?.dsn !== undefined) return { driver: 'postgres', postgres: { dsn: postgres.dsn, poolSize: postgres.poolsize } };
  return { driver: 'sqlite' };
}

type RawRetentionKeys = { keeplast?: number | undefined; keepwithin?: number | undefined; keeptagged?: boolean | undefined; keeppulledwithin?: number | undefined };

/**
 * Each `retention.packs` entry, its unset keys taken from the global ones, in the order written (the first
 * whose pattern matches a pack applies), then the global rule for every other pack (`*`).
 */
function retentionRules(raw: RawRetentionKeys & { packs: (RawRetentionKeys & { pattern: string })[] }): RetentionRuleConfig[] {
  const rule = (pattern: string, keys: RawRetentionKeys): RetentionRuleConfig => {
    const keepLast = keys.keeplast ?? raw.keeplast;
    const keepWithinMs = keys.keepwithin ?? raw.keepwithin;
    const keepPulledWithinMs = keys.keeppulledwithin ?? raw.keeppulledwithin;
    return {
      pattern,
      ...(keepLast !== undefined ? { keepLast } : {}),
      ...(keepWithinMs !== undefined ? { keepWithinMs } : {}),
      keepTagged: keys.keeptagged ?? raw.keeptagged ?? true,
      ...(keepPulledWithinMs !== undefined ? { keepPulledWithinMs } : {}),
    };
  };
  return [...raw.packs.map((entry) => rule(entry.pattern, entry)), rule('*', {})];
}

/**
 * Header names are case-insensitive, so `x-frame-options: [SAMEORIGIN]` replaces the default
 * `X-Frame-Options`. An empty list removes a default header.
 */
function mergeHeaders(
  defaults: Readonly<Record<string, readonly string[]>>,
  overrides: Record<string, string[]>,
): Record<string, string[]> {
  const byLowerName = new Map<string, [string, string[]]>();
  for (const [name, values] of Object.entries(defaults)) byLowerName.set(name.toLowerCase(), [name, [...values]]);
  for (const [name, values] of Object.entries(overrides)) byLowerName.set(name.toLowerCase(), [name, [...values]]);
  const merged: Record<string, string[]> = {};
  for (const [name, values] of byLowerName.values()) {
    if (values.length > 0) merged[name] = values;
  }
  return merged;
}
