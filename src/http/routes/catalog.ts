import type { IRouter, Request } from 'express';
import type { CatalogPage, PackList, RootAnswer } from '../../api/index.js';
import type { Registry } from '../../registry/registry.js';
import { readPage, setNextLink } from '../pagination.js';
import { singleQueryValue } from '../query.js';

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
        nameContains: filterValue(req, 'name'),
        layer: filterValue(req, 'layer'),
        cloudType: filterValue(req, 'cloudType'),
        addonType: filterValue(req, 'addonType'),
      },
      page,
    );
    setNextLink(req, res, page, result);
    res.json({ packs: result.items } satisfies PackList);
  });
}

/** A filter given once; empty means no filter. Given twice it is QUERY_INVALID (see singleQueryValue). */
function filterValue(req: Request, name: string): string | undefined {
  const value = singleQueryValue(req, name);
  return value === '' ? undefined : value;
}
