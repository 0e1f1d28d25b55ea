// The API contract shared by the server and packctl: error catalogue, wire documents, default limits.
// It imports nothing else of the project, so both sides can depend on it without depending on each other.
export { ERROR_CATALOGUE, ERROR_CODES, isErrorCode, type ErrorBody, type ErrorCode, type ErrorDescription, type ErrorEntry } from './errors.js';
export { DEFAULT_LIMITS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits.js';
export type {
  CatalogPage,
  ChangeEvent,
  ChangePage,
  DeadLetter,
  DeadLetterPage,
  DeadLetterRetry,
  DownloadStatistics,
  ExpandedPackList,
  ExpandedPackSummary,
  HealthAnswer,
  HistoryAction,
  HistoryEvent,
  HistoryPage,
  PackDocument,
  PackFileEntry,
  PackList,
  PackSummary,
  RootAnswer,
  TagEntry,
  TagList,
  VersionDocument,
  VersionEntry,
  WebhookBody,
} from './wire.js';
