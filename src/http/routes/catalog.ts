import type { IRouter } from 'express';
import type { CatalogPage, PackList, RootAnswer } from '../../api/index.js';
import type { Registry } from '../../registry/registry.js';
import { readPage, setNextLink } from '../pagination.js';

export function addCatalogRoutes(router: IRouter, registry: Registry): void {
  // Clients call this to check their credentials (`packctl registry login`, Palette's "Validate").
  router.get('/v1/', (_req, res) => {
    res.json({} satisfies RootAnswer);
  });

  router.get('/v1/_catalog', (req, res) => {
    const page = readPage(req);
    const result = registry.catalog(page);
    setNextLink(req, res, page, result);
    res.json({ repositories: result.items } satisfies CatalogPage);
  });

  router.get('/v1/packs', (req, res) => {
    const page = readPage(req);
    const result = registry.listPacks(
      {
        nameContains: queryString(req.query.name),
        layer: queryString(req.query.layer),
        cloudType: queryString(req.query.cloudType),
        addonType: queryString(req.query.addonType),
      },
      page,
    );
    setNextLink(req, res, page, result);
    res.json({ packs: result.items } satisfies PackList);
  });
}

function queryString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
