import { createRequire } from 'node:module';

/**
 * Loads a drizzle-orm entry point through its CommonJS build. Node 24's ESM loader looks up the package scope of
 * every module it resolves and parses drizzle-orm's 179 KB `exports` map again each time: importing pg-core and a
 * driver as ES modules allocated ~200 MB and took ~0.8 s at startup. See docs/decisions/0011-memory-of-a-busy-server.md.
 */
export const requireDrizzle: (id: string) => unknown = createRequire(import.meta.url);

export type { SQL } from 'drizzle-orm';
export const { and, asc, desc, eq, gt, ilike, inArray, isNotNull, isNull, ne, notInArray, or, sql } =
  requireDrizzle('drizzle-orm') as typeof import('drizzle-orm');
