import express, { type IRouter } from 'express';
import type { HistoryPage, TagEntry, TagList } from '../../api/index.js';
import type { Registry } from '../../registry/registry.js';
import { RegistryError } from '../../registry/errors.js';
import { tagEntry } from '../../registry/views.js';
import { requirePush } from '../authenticate.js';
import { readPage, setNextLink } from '../pagination.js';

/** Tags and history: `tags` and `history` are reserved tag labels, so these paths never meet a `{ref}`. */
export function addTagRoutes(router: IRouter, registry: Registry): void {
  router.get('/v1/packs/:name/tags', async (req, res) => {
    const tags = await registry.listTags(req.params.name);
    res.json({ tags: tags.map(tagEntry) } satisfies TagList);
  });

  router.put('/v1/packs/:name/tags/:tag', requirePush, express.json({ limit: '16kb' }), async (req, res) => {
    const { name, tag } = req.params as { name: string; tag: string };
    const reference = (req.body as { reference?: unknown } | undefined)?.reference;
    if (typeof reference !== 'string' || reference === '') {
      throw new RegistryError('TAG_INVALID', 'send a JSON body {"reference": "<tag, version or digest>"}', { tag });
    }
    const result = await registry.setTag(name, tag, reference, req.user?.name ?? 'anonymous');
    // A tag set here is a user tag: `auto` is false.
    res.status(result.created ? 201 : 200).json(tagEntry(result.tag) satisfies TagEntry);
  });

  router.delete('/v1/packs/:name/tags/:tag', requirePush, async (req, res) => {
    const { name, tag } = req.params as { name: string; tag: string };
    await registry.deleteTag(name, tag, req.user?.name ?? 'anonymous');
    res.status(204).end();
  });

  router.get('/v1/packs/:name/history', async (req, res) => {
    const page = readPage(req);
    const result = await registry.history(req.params.name, page);
    setNextLink(req, res, page, result);
    res.json({ events: result.items } satisfies HistoryPage);
  });
}
