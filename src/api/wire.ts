// The JSON documents the registry answers with, as they travel. The server's view builders
// (registry/views.ts) and routes produce exactly these types and packctl reads them, so a change to an
// answer is a change here that both sides see. The error answer's shape lives with the catalogue in errors.ts.

/** `GET /v1/`: an empty object; clients call it to check their credentials. */
export type RootAnswer = Record<string, never>;

/** `GET`/`HEAD /health`: 200 when storage and index work, 503 with what failed otherwise. */
export type HealthAnswer = { status: 'UP' } | { status: 'DOWN'; checks: Record<string, string> };

/** One regular file of a version, its path relative to the pack root. */
export interface PackFileEntry {
  path: string;
  size: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** `GET /v1/packs/{name}/{ref}`, and the answer of a push (`POST /v1/packs`, 201). */
export interface VersionDocument {
  name: string;
  /** As written in pack.json (`1.5`, `23.07.1`). */
  version: string;
  tags: readonly string[];
  /** Content digest, `sha256:<hex>` over the files (see the contract). */
  digest: string;
  /** SHA-256 of the archive bytes as stored and served: the archive's ETag. */
  archiveDigest: string;
  size: number;
  pushedAt: string;
  pushedBy: string;
  message: string | null;
  /** The pack.json object, unknown keys kept. */
  pack: Record<string, unknown>;
  // The fields Palette keeps per pack version, read at push (see docs/API.md, "Version fields"):
  displayName: string;
  layer: string;
  /** pack.json `type` when it is a non-empty string (real packs rarely carry one), else null. */
  type: string | null;
  /** pack.json `group`, trimmed; null when absent or blank. */
  group: string | null;
  addonType: string | null;
  addonSubType: string | null;
  cloudTypes: readonly string[];
  /** pack.json `eol`, trimmed; null when absent or blank (real packs write `""` and `" "`). */
  eol: string | null;
  /** pack.json `annotations` as written; `{}` when absent. */
  annotations: Record<string, unknown>;
  kubeManifests: readonly string[];
  /** One per pack.json `charts` path: what its Chart.yaml says; null fields when unread (too large, unreadable, or pushed before). */
  charts: readonly ChartEntry[];
  /** presets.yaml as written (checked at push); null when the pack has none or was pushed before it was read. */
  presets: string | null;
  /** schema.yaml as written (checked at push); null likewise. */
  schema: string | null;
  files: readonly PackFileEntry[];
  /** Pulls of the archive (counted in memory, written every few seconds: may lag a few seconds behind). */
  downloads: DownloadStatistics;
  /**
   * When the version has a logo (`logo.png`): the absolute URL of its bytes,
   * `<base>/v1/{name}/blobs/sha256:<hex>?type=image/png`, as Spectro Cloud's registries give it.
   */
  logoUrl?: string;
}

/** A Helm chart of a version: its path in the pack and its Chart.yaml's `name`, `version`, `appVersion`. */
export interface ChartEntry {
  path: string;
  name: string | null;
  version: string | null;
  appVersion: string | null;
}

/** One entry of `GET /v1/packs`; the fields come from the pack's highest version. */
export interface PackSummary {
  name: string;
  displayName: string;
  layer: string;
  addonType: string | null;
  cloudTypes: readonly string[];
  logo: boolean;
  /** With `logo`: the highest version's `logoUrl` (see VersionDocument). */
  logoUrl?: string;
  latestVersion: string;
  updatedAt: string;
}

/** A version as a pack document lists it. */
export interface VersionEntry {
  version: string;
  digest: string;
  size: number;
  pushedAt: string;
  pushedBy: string;
  downloads: DownloadStatistics;
}

/** How often a version's archive was downloaded (GET .../archive answered 200, or 206 from byte 0) and when last. */
export interface DownloadStatistics {
  count: number;
  /** null: never (or not since the counts were last written). */
  lastPulledAt: string | null;
}

/** A tag as the pack document, the tag list and a tag write answer show it. */
export interface TagEntry {
  tag: string;
  version: string;
  /** A parent tag (`X.x`, `X.Y.x`), kept by the server. */
  auto: boolean;
}

/** `GET /v1/packs/{name}`: the summary plus every version (ascending precedence) and tag. */
export interface PackDocument extends PackSummary {
  versions: readonly VersionEntry[];
  /** The sum over the pack's versions; `lastPulledAt` the latest of theirs. */
  downloads: DownloadStatistics;
  tags: readonly TagEntry[];
}

/** `GET /v1/_catalog`, sorted by name and paginated. */
export interface CatalogPage {
  repositories: readonly string[];
}

/** `GET /v1/packs`, paginated by name. */
export interface PackList {
  packs: readonly PackSummary[];
}

/**
 * One entry of `GET /v1/packs?expand=versions`: the summary with the pack's versions (ascending precedence)
 * and tags, exactly as `GET /v1/packs/{name}` shows them — one request per page instead of one per pack.
 */
export type ExpandedPackSummary = PackDocument;

/** `GET /v1/packs?expand=versions`, paginated by name like PackList. */
export interface ExpandedPackList {
  packs: readonly ExpandedPackSummary[];
}

/** `GET /v1/packs/{name}/tags`. `PUT .../tags/{tag}` answers one `TagEntry` (201 created, 200 moved). */
export interface TagList {
  tags: readonly TagEntry[];
}

export type HistoryAction = 'push' | 'force-push' | 'tag-add' | 'tag-delete' | 'delete';

/** One event of a pack's history; fields that do not apply to the action are null. */
export interface HistoryEvent {
  /** Pages go on from the id of the last event seen (`?last=`). */
  id: number;
  pack: string;
  at: string;
  user: string;
  action: HistoryAction;
  version: string | null;
  tag: string | null;
  digest: string | null;
  message: string | null;
}

/** `GET /v1/packs/{name}/history`, newest first and paginated. */
export interface HistoryPage {
  events: readonly HistoryEvent[];
}

/**
 * One change of the registry as the change feed (`GET /v1/events`) and the webhooks carry it. Fields that do
 * not apply to the action are null (a tag for a push, a digest for a tag removal).
 */
export interface ChangeEvent {
  /** Opaque cursor of this event: `GET /v1/events?since=<id>` answers what came after it. */
  id: string;
  action: HistoryAction;
  pack: string;
  version: string | null;
  tag: string | null;
  /** The version's content digest. */
  digest: string | null;
  user: string;
  at: string;
  message: string | null;
}

/** `GET /v1/events?since=&limit=`: the changes after `since`, oldest first. */
export interface ChangePage {
  events: readonly ChangeEvent[];
  /** The cursor to ask with next: the last event's id, or `since` itself when nothing new came. */
  next: string;
}

/**
 * A webhook's body (POST to each `notifications.endpoints[].url`): Distribution's envelope, one event per
 * delivery. Headers: X-Pack-Registry-Delivery (the same on every retry), X-Pack-Registry-Event,
 * X-Pack-Registry-Signature (`sha256=<hex HMAC-SHA256 of the body>` with the endpoint's secret).
 */
export interface WebhookBody {
  events: readonly [ChangeEvent];
}

/** A delivery the registry gave up on (`GET /v1/notifications/deadletters`, admins only). */
export interface DeadLetter {
  /** Pages go on from the id of the last one seen (`?last=`). */
  id: number;
  endpoint: string;
  deliveryId: string;
  event: ChangeEvent;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deadAt: string;
}

export interface DeadLetterPage {
  deadLetters: readonly DeadLetter[];
}

/** `POST /v1/notifications/deadletters/retry[?endpoint=]`: how many went back into the queue. */
export interface DeadLetterRetry {
  retried: number;
}
