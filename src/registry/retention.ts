// Retention: which versions a set of keep rules lets go, and their removal through the registry's own
// delete path (so tags, parent tags, metadata documents, the feed, webhooks and blobs are handled the one way
// every delete handles them). A version goes only when no rule that applies to its pack keeps it:
//   keepLast N          the N highest versions by precedence
//   keepWithinMs        pushed within this long
//   keepTagged          pointed at by a user tag (a tag someone set: `stable`, `prod`)
//   keepPulledWithinMs  downloaded within this long (the protection window; download statistics)
// A rule with neither keepLast nor keepWithinMs sets no limit: it removes nothing.
import type { IndexQueries, VersionRecord } from '../db/pack-index.js';
import { comparePackVersions } from '../packs/version.js';
import type { Registry } from './registry.js';

export interface RetentionRule {
  /** A glob over pack names: `*` any run of characters, `?` one; `*` alone is every pack. */
  pattern: string;
  keepLast?: number | undefined;
  keepWithinMs?: number | undefined;
  keepTagged: boolean;
  keepPulledWithinMs?: number | undefined;
}

/** A version retention would remove, and the bytes its removal frees (0 when another version shares its archive). */
export interface RetentionItem {
  pack: string;
  version: string;
  pushedAt: string;
  bytes: number;
  rule: string;
}

export interface RetentionPlan {
  items: RetentionItem[];
  totalBytes: number;
}

export interface RetentionReport extends RetentionPlan {
  dryRun: boolean;
  /** Versions whose removal failed (changed meanwhile): they stay. */
  failed: { pack: string; version: string; reason: string }[];
}

/** The first rule whose pattern matches the name (rules are listed specific first, the global `*` last). */
export function ruleFor(rules: readonly RetentionRule[], pack: string): RetentionRule | undefined {
  return rules.find((rule) => globMatches(rule.pattern, pack));
}

export function globMatches(pattern: string, name: string): boolean {
  const source = [...pattern].map((character) => (character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(name);
}

/** What the rules would remove now, pack by pack in name order, each pack's versions in ascending precedence. */
export async function planRetention(db: IndexQueries, rules: readonly RetentionRule[], now: Date): Promise<RetentionPlan> {
  const planned: { item: RetentionItem; archiveDigest: string }[] = [];
  const removedArchives = new Map<string, number>();
  let last = '';
  for (;;) {
    const names = await db.catalogPage(last, 500);
    for (const pack of names) {
      const rule = ruleFor(rules, pack);
      if (!rule || (rule.keepLast === undefined && rule.keepWithinMs === undefined)) continue;
      for (const version of await versionsToRemove(db, pack, rule, now)) {
        removedArchives.set(version.archiveDigest, (removedArchives.get(version.archiveDigest) ?? 0) + 1);
        planned.push({
          item: { pack, version: version.version, pushedAt: version.pushedAt, bytes: version.size, rule: rule.pattern },
          archiveDigest: version.archiveDigest,
        });
      }
    }
    if (names.length < 500) break;
    last = names.at(-1) as string;
  }
  // An archive still referenced by a version that stays frees nothing.
  const items: RetentionItem[] = [];
  for (const { item, archiveDigest } of planned) {
    items.push((await db.archiveReferenceCount(archiveDigest)) > (removedArchives.get(archiveDigest) ?? 0) ? { ...item, bytes: 0 } : item);
  }
  return { items, totalBytes: items.reduce((sum, item) => sum + item.bytes, 0) };
}

async function versionsToRemove(db: IndexQueries, pack: string, rule: RetentionRule, now: Date): Promise<VersionRecord[]> {
  const versions = (await db.versionsOfPack(pack)).sort((a, b) => comparePackVersions(a.normalizedVersion, b.normalizedVersion));
  const tagged = new Set((await db.tagsOfPack(pack)).filter((tag) => tag.kind === 'user').map((tag) => tag.versionId));
  const pulled = new Map((await db.downloadsOfPack(pack)).map((entry) => [entry.normalizedVersion, Date.parse(entry.lastPulledAt)]));
  const nowMs = now.getTime();
  return versions.filter((version, index) => {
    if (rule.keepLast !== undefined && index >= versions.length - rule.keepLast) return false;
    if (rule.keepWithinMs !== undefined && nowMs - Date.parse(version.pushedAt) < rule.keepWithinMs) return false;
    if (rule.keepTagged && tagged.has(version.id)) return false;
    const lastPull = pulled.get(version.normalizedVersion);
    if (rule.keepPulledWithinMs !== undefined && lastPull !== undefined && nowMs - lastPull < rule.keepPulledWithinMs) return false;
    return true;
  });
}

/** Who the feed, the history and the webhooks name as the author of retention's deletions. */
export const RETENTION_USER = 'retention';

/**
 * Plan, then (unless `dryRun`) delete each planned version through `registry.deleteVersion`. The report of a
 * real run lists what was removed: the dry run's list, less what changed in between.
 */
export async function applyRetention(db: IndexQueries, registry: Registry, rules: readonly RetentionRule[], options: { dryRun: boolean; now: Date }): Promise<RetentionReport> {
  const plan = await planRetention(db, rules, options.now);
  if (options.dryRun) return { ...plan, dryRun: true, failed: [] };
  const removed: RetentionItem[] = [];
  const failed: RetentionReport['failed'] = [];
  for (const item of plan.items) {
    try {
      await registry.deleteVersion(item.pack, item.version, RETENTION_USER);
      removed.push(item);
    } catch (error) {
      failed.push({ pack: item.pack, version: item.version, reason: (error as Error).message });
    }
  }
  return { items: removed, totalBytes: removed.reduce((sum, item) => sum + item.bytes, 0), dryRun: false, failed };
}
