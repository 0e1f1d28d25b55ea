// The one place packctl talks HTTP: Basic auth, the trust decided in trust.ts, the registry's error
// shape turned into ApiError, and every network or TLS failure turned into one line with a hint.
// Every request carries the saved password, so every request goes to the registry's own origin (the
// scheme packctl settled on, the host and port the user gave) and nowhere else: links the registry sends
// are checked before they are followed (`followLink`), and redirects are never followed (node:http does
// not follow them; a 3xx answer is reported as what it is).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { ErrorBody, ErrorCode, RootAnswer } from '../api/index.js';
import type { Credentials } from './config.js';
import { ApiError, CliError, EXIT, oneLine, type ApiErrorEntry } from './errors.js';
import type { StreamBody } from './multipart.js';
import type { Progress } from './progress.js';
import type { Trust } from './trust.js';

export interface RegistryEndpoint {
  /** `host[:port]`, as in config.json. */
  server: string;
  credentials?: Credentials;
  trust: Trust;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  /**
   * A streamed body (an upload). It cannot be replayed, so it is never retried over plain http; a caller that
   * sends it again (retry.ts) builds a new one.
   */
  body?: StreamBody;
  /** Told of every body byte as it is handed to the connection. */
  onBodyBytes?: (bytes: number) => void;
}

/** An answer that has not been read: the caller streams or parses it. */
export type Answer = http.IncomingMessage;

export interface Download {
  headers: http.IncomingHttpHeaders;
  /** Bytes written to the file. */
  bytes: number;
  /** `sha256:<hex>` of the bytes written. */
  sha256: string;
}

/** No byte in either direction for this long ends a request: a registry that went silent. */
const IDLE_TIMEOUT_MS = 120_000;
/** JSON answers are small; anything larger is not the registry talking. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A request that got no byte of an answer: the connection failed while the request was sent or its answer
 * awaited. `code` is the system's (`ECONNRESET`, ...): retry.ts decides from it whether an upload is sent again.
 */
export class NoAnswerError extends CliError {
  constructor(
    reported: CliError,
    readonly code: string | undefined,
  ) {
    super(reported.exitCode, reported.lines);
    this.name = 'NoAnswerError';
  }
}

class IdleTimeoutError extends Error {
  readonly code = 'PACKCTL_TIMEOUT';
}

/** What a TLS client sees when the other end answers its hello in plain HTTP. */
function isPlainHttpAnswer(error: unknown): boolean {
  const { code, message } = error as NodeJS.ErrnoException;
  return code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(message ?? '');
}

export class RegistryClient {
  private scheme: 'https' | 'http' = 'https';
  /** Set once an answer came back: from then on the scheme is known and never changes. */
  private schemeKnown = false;
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(readonly endpoint: RegistryEndpoint) {
    const { trust } = endpoint;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      rejectUnauthorized: !trust.insecure,
      ...(trust.ca ? { ca: trust.ca } : {}),
    });
    this.httpAgent = new http.Agent({ keepAlive: true });
  }

  get server(): string {
    return this.endpoint.server;
  }

  /** The registry's origin as packctl reaches it now: the scheme it settled on, the host and port the user gave. */
  private origin(): URL {
    return new URL(`${this.scheme}://${this.server}`);
  }

  /**
   * A link the registry sent (a Link header's next page), as the path to ask for next. A relative link is
   * resolved against `requestPath`, the request whose answer carried it. A link that leaves the registry —
   * another host or port, a protocol-relative `//host/...`, another scheme (https→http would send the password
   * in clear text) — is refused, since the request would carry the saved credentials there.
   */
  followLink(link: string, requestPath: string, what = 'link'): string {
    const origin = this.origin();
    let target: URL;
    try {
      target = new URL(link, new URL(requestPath, origin));
    } catch {
      throw new CliError(EXIT.FAILURE, `the registry at ${this.server} sent a ${what} that is not a URL: ${link}`);
    }
    if (target.origin !== origin.origin) throw leavesRegistry(this.server, `follow the ${what} to ${link}`, origin);
    return `${target.pathname}${target.search}`;
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  /**
   * Sends one request and resolves with the answer, whatever its status. With `insecure`, a registry that
   * answers TLS with plain HTTP is asked again over http (Docker's rule for insecure registries), once.
   */
  async send(path: string, options: SendOptions = {}): Promise<Answer> {
    try {
      const answer = await this.sendOnce(path, options);
      this.schemeKnown = true;
      return answer;
    } catch (error) {
      const canRetry = !this.schemeKnown && this.endpoint.trust.insecure && options.body === undefined;
      if (canRetry && isPlainHttpAnswer(error)) {
        this.scheme = 'http';
        this.schemeKnown = true;
        return this.sendOnce(path, options).catch((retryError: unknown) => {
          throw this.noAnswer(retryError);
        });
      }
      throw this.noAnswer(error);
    }
  }

  /** A failure of `send`: no answer came (or a refusal of packctl's own, kept as it is). */
  private noAnswer(error: unknown): CliError {
    const reported = this.networkError(error);
    if (error instanceof CliError) return reported;
    return new NoAnswerError(reported, (error as NodeJS.ErrnoException).code);
  }

  /** Sends a request and parses a JSON answer; any status outside 2xx becomes an ApiError. */
  async json<T>(path: string, options: SendOptions = {}): Promise<{ body: T; answer: Answer }> {
    const answer = await this.send(path, options);
    return { body: await this.readJson<T>(answer), answer };
  }

  /** Parses an answer's JSON body; any status outside 2xx becomes an ApiError with every entry. */
  async readJson<T>(answer: Answer): Promise<T> {
    const text = await this.readText(answer);
    if (!isSuccess(answer.statusCode)) throw errorFromAnswer(answer, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(EXIT.FAILURE, `the registry at ${this.server} sent an answer that is not JSON (HTTP ${answer.statusCode})`);
    }
  }

  /** Fails with the registry's error unless the answer is 2xx; the body is drained either way. */
  async expectSuccess(answer: Answer): Promise<void> {
    if (isSuccess(answer.statusCode)) {
      answer.resume();
      return;
    }
    throw errorFromAnswer(answer, await this.readText(answer));
  }

  /** `GET /v1/`: checks the credentials (and settles http vs https) before anything costly. */
  async checkCredentials(): Promise<void> {
    await this.json<RootAnswer>('/v1/');
  }

  /**
   * Streams a 2xx answer's body into `file` while hashing it; a failure status becomes an ApiError and
   * a body shorter than its Content-Length a network error.
   */
  async download(path: string, file: string, progressFor: (total: number | undefined) => Progress): Promise<Download> {
    const answer = await this.send(path);
    if (!isSuccess(answer.statusCode)) throw errorFromAnswer(answer, await this.readText(answer));
    const declared = answer.headers['content-length'];
    const total = declared === undefined ? undefined : Number(declared);
    const progress = progressFor(total);
    const hash = createHash('sha256');
    let bytes = 0;
    answer.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
      progress.advance(chunk.length);
    });
    try {
      await pipeline(answer, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      progress.abort();
      throw this.networkError(error);
    }
    if (total !== undefined && bytes !== total) {
      progress.abort();
      throw new CliError(EXIT.NETWORK, `the download from ${this.server} ended after ${bytes} of ${total} bytes`);
    }
    progress.finish();
    return { headers: answer.headers, bytes, sha256: `sha256:${hash.digest('hex')}` };
  }

  private sendOnce(path: string, options: SendOptions): Promise<Answer> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    const { credentials } = this.endpoint;
    if (credentials) {
      headers.Authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
    }
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json), 'utf8');
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (options.body) {
      headers['Content-Type'] = options.body.contentType;
      headers['Content-Length'] = String(options.body.length);
    }
    const origin = this.origin();
    const url = new URL(path, origin);
    // Paths are packctl's own or came through followLink; this holds whatever a later caller passes.
    if (url.origin !== origin.origin) throw leavesRegistry(this.server, `send a request to ${path}`, origin);
    const transport = this.scheme === 'https' ? https : http;
    const agent = this.scheme === 'https' ? this.httpsAgent : this.httpAgent;
    return new Promise<Answer>((resolve, reject) => {
      const request = transport.request(url, { method: options.method ?? 'GET', headers, agent });
      request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new IdleTimeoutError(`no answer within ${IDLE_TIMEOUT_MS / 1000} s`)));
      request.on('error', reject);
      // A registry may answer before the whole upload is sent (401, 413): that answer is what counts,
      // and the broken pipe that follows it is not an error worth showing.
      request.on('response', resolve);
      if (options.body) {
        const { stream } = options.body;
        if (options.onBodyBytes) {
          const onBodyBytes = options.onBodyBytes;
          stream.on('data', (chunk: Buffer) => onBodyBytes(chunk.length));
        }
        pipeline(stream, request).catch(reject);
      } else {
        request.end(payload);
      }
    });
  }

  private async readText(answer: Answer): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of answer as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_JSON_BYTES) {
          answer.destroy();
          throw new CliError(EXIT.FAILURE, `the answer of ${this.server} is larger than ${MAX_JSON_BYTES} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw this.networkError(error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** One line saying what went wrong on the way to the registry and what to do about it. */
  networkError(error: unknown): CliError {
    if (error instanceof CliError) return error;
    const { code, message } = error as NodeJS.ErrnoException;
    const server = this.server;
    const { trust } = this.endpoint;
    if (code && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
      const checked = trust.caFile ? ` (checked against ${trust.caFile})` : '';
      return new CliError(
        EXIT.NETWORK,
        `the TLS certificate of ${server} is not trusted: ${oneLine(message)}${checked}; ` +
          `install the registry's CA certificate as ${trust.expectedCaFile}, or log in with --insecure to accept any certificate`,
      );
    }
    if (isPlainHttpAnswer(error)) {
      return new CliError(
        EXIT.NETWORK,
        `${server} answered in plain HTTP, not TLS (is its TLS off?); log in with --insecure to allow plain http`,
      );
    }
    const reasons: Record<string, string> = {
      ECONNREFUSED: 'connection refused (is the registry running, and on this port?)',
      ENOTFOUND: 'no such host',
      EAI_AGAIN: 'the host name could not be resolved right now',
      ECONNRESET: 'the connection was reset',
      EPIPE: 'the connection was closed while sending',
      ETIMEDOUT: 'the connection timed out',
      EHOSTUNREACH: 'the host is unreachable',
      ENETUNREACH: 'the network is unreachable',
    };
    const reason = (code && reasons[code]) ?? oneLine(message ?? String(error));
    return new CliError(EXIT.NETWORK, `cannot reach ${server}: ${reason}`);
  }
}

function leavesRegistry(server: string, action: string, origin: URL): CliError {
  return new CliError(
    EXIT.FAILURE,
    `refusing to ${action}: it leads away from the registry ${server} (${origin.origin}), ` +
      'and packctl sends the saved credentials to that registry only',
  );
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

function isEntry(value: unknown): value is ApiErrorEntry {
  const entry = value as ApiErrorEntry | null;
  return typeof entry === 'object' && entry !== null && typeof entry.code === 'string' && typeof entry.message === 'string';
}

/** The registry's `{"errors": [...]}`, every entry of it; anything else (a proxy's HTML page) as its status line. */
export function errorFromAnswer(answer: Answer, text: string): ApiError {
  const status = answer.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    // Never followed: the request would carry the credentials wherever Location points.
    const location = answer.headers.location;
    const where = location === undefined ? '' : ` to ${location}`;
    return new ApiError(status, [
      { code: `HTTP_${status}`, message: `the registry answered with a redirect${where}, which packctl does not follow (its credentials go to the registry they were saved for only)` },
    ]);
  }
  const error = registryError(status, text) ?? new ApiError(status, [{ code: codeForBareStatus(status), message: `HTTP ${status} ${answer.statusMessage ?? ''}`.trim() }]);
  const retryAfter = answer.headers['retry-after'];
  if (typeof retryAfter === 'string') error.retryAfter = retryAfter;
  return error;
}

/** The registry's own `{"errors": [...]}`, or undefined for anything else. */
function registryError(status: number, text: string): ApiError | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<Record<keyof ErrorBody, unknown>>;
    if (Array.isArray(parsed.errors)) {
      const entries = parsed.errors.filter(isEntry);
      if (entries.length > 0) return new ApiError(status, entries);
    }
  } catch {
    // Not JSON: described by its status.
  }
  return undefined;
}

/** The code an answer without the registry's JSON (a proxy's page) stands for: the contract's own for 401 and 403. */
function codeForBareStatus(status: number): string {
  const known: ErrorCode | undefined = status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'DENIED' : undefined;
  return known ?? `HTTP_${status}`;
}

/** Path segments are always escaped: a tag or version may hold characters a URL gives meaning to. */
export function apiPath(...segments: string[]): string {
  return `/v1/${segments.map(encodeURIComponent).join('/')}`;
}
