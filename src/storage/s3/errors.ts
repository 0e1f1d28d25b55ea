// What an S3 failure means for the registry: the storage is away for now (a refused connection, a timeout, a
// 5xx: 503 STORAGE_UNAVAILABLE with Retry-After), the object is not there, or the bucket refuses us (a
// configuration fault an administrator must fix: a clear message, never the SDK's stack).
import { StorageUnavailableError } from '../blobs/store.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Network failures: the endpoint is down, unreachable, or cut the connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** The SDK's names for a request that took too long or was cut (NodeHttpHandler, the retry strategy). */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'ServiceUnavailable', 'InternalError']);

function sdk(error: unknown): SdkError {
  return typeof error === 'object' && error !== null ? (error as SdkError) : {};
}

/** The HTTP status S3 answered with, when it answered at all. */
export function s3Status(error: unknown): number | undefined {
  return sdk(error).$metadata?.httpStatusCode;
}

/** S3 said the object (or, for HEAD, whatever was asked) does not exist. */
export function isS3NotFound(error: unknown): boolean {
  const { name } = sdk(error);
  return name === 'NoSuchKey' || name === 'NotFound' || (s3Status(error) === 404 && name !== 'NoSuchBucket');
}

/** S3 is away for now: nobody answered, or the answer was a 5xx. */
export function isS3Unavailable(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  const { name, code } = sdk(error);
  if (code && NETWORK_CODES.has(code)) return true;
  if (name && TIMEOUT_NAMES.has(name)) return true;
  const status = s3Status(error);
  if (status !== undefined && status >= 500) return true;
  // A cut connection may surface as a plain Error whose cause holds the code.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== error && isS3Unavailable(cause);
}

/**
 * The error the registry sees for an S3 failure: StorageUnavailableError when S3 is away, else an Error whose
 * message says what S3 answered (`AccessDenied (403)`), for the log and for a start that must explain itself.
 */
export function s3Failure(error: unknown, doing: string): Error {
  if (error instanceof StorageUnavailableError) return error;
  const { name, code, message } = sdk(error);
  if (isS3Unavailable(error)) {
    return new StorageUnavailableError(`S3 did not answer ${doing} (${code ?? name ?? 'no answer'})`, { cause: error });
  }
  const status = s3Status(error);
  const what = [name, status === undefined ? undefined : String(status)].filter(Boolean).join(', ');
  return new Error(`S3 refused ${doing}: ${what}${message && message !== name && message !== 'UnknownError' ? `: ${message}` : ''}`, { cause: error });
}

/** Run one S3 request, turning its failure into s3Failure's. */
export async function s3Call<T>(doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw s3Failure(error, doing);
  }
}
