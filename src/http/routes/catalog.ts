import type { IRouter, Request } from 'express';
import type { CatalogPage, ExpandedPackList, PackList, RootAnswer } from '../../api/index.js';
import { RegistryError } from '../../registry/errors.js';
import type { Registry } from '../../registry/registry.js';
import { baseUrlOf } from '../base-url.js';
import { readPage, setNextLink } from '../pagination.js';
import { singleQueryValue } from '../query.js';

export function addCatalogRoutes(router: IRouter, registry: Registry, externalUrl?: string): void {
  // Clients call this to check their credentials (`packctl registry login`, Palette's "Validate").
  router.get('/v1/', (_req, res) => {
    res.json({} satisfies RootAnswer);
  });

  router.get('/v1/_catalog', async (req, res) => {
    const page = readPage(req);
    const result = await registry.catalog(page);
    setNextLink(req, res, page, result);
    res.json({ repositories: result.items } satisfies CatalogPage);
  });

  router.get('/v1/packs', async (req, res) => {
    const page = readPage(req);
    const filter = {
      nameContains: filterValue(req, 'name'),
      layer: filterValue(req, 'layer'),
      cloudType: filterValue(req, 'cloudType'),
      addonType: filterValue(req, 'addonType'),
      group: filterValue(req, 'group'),
      addonSubType: filterValue(req, 'addonSubType'),
    };
    if (expandsVersions(req)) {
      const result = await registry.listPacksExpanded(filter, page, baseUrlOf(req, externalUrl));
      setNextLink(req, res, page, result);
      res.json({ packs: result.items } satisfies ExpandedPackList);
      return;
    }
    const result = await registry.listPacks(filter, page, baseUrlOf(req, externalUrl));
    setNextLink(req, res, page, result);
    res.json({ packs: result.items } satisfies PackList);
  });
}

/** `?expand=versions`: each summary with its versions and tags. Any other value, or given twice, is QUERY_INVALID. */
function expandsVersions(req: Request): boolean {
  const value = singleQueryValue(req, 'expand');
  if (value === undefined) return false;
  if (value === 'versions') return true;
  throw new RegistryError('QUERY_INVALID', 'the query parameter expand may only be "versions"', { parameter: 'expand', value });
}

/** A filter given once; empty means no filter. Given twice it is QUERY_INVALID (see singleQueryValue). */
function filterValue(req: Request, name: string): string | undefined {
  const value = singleQueryValue(req, name);
  return value === '' ? undefined : value;
}
