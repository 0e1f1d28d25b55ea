import express, { type IRouter } from 'express';
import { TokenError, type TokenStore } from '../../auth/tokens.js';
import { RegistryError } from '../../registry/errors.js';
import { requireAdmin } from '../authenticate.js';

/** Access tokens, for admins (and admin tokens): the secret is in the 201 answer once, never again. */
export function addTokenRoutes(router: IRouter, tokens: TokenStore): void {
  router.post('/v1/tokens', requireAdmin, express.json({ limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown; scope?: unknown; expires?: unknown };
    if (typeof body.name !== 'string' || typeof body.scope !== 'string' || (body.expires !== undefined && typeof body.expires !== 'string')) {
      throw new RegistryError('TOKEN_INVALID', 'send a JSON body {"name": "...", "scope": "read|push|admin", "expires": "90d"} (expires optional)');
    }
    const { token, info } = await asRegistryError(() => tokens.create({ name: body.name as string, scope: body.scope as string, expires: body.expires as string | undefined }));
    res.status(201).setHeader('Cache-Control', 'no-store').json({ ...info, token });
  });

  router.get('/v1/tokens', requireAdmin, async (_req, res) => {
    res.json({ tokens: await tokens.list() });
  });

  router.delete('/v1/tokens/:name', requireAdmin, async (req, res) => {
    await asRegistryError(() => tokens.revoke(req.params.name as string));
    res.status(204).end();
  });
}

async function asRegistryError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TokenError) throw new RegistryError(error.code, error.message);
    throw error;
  }
}
