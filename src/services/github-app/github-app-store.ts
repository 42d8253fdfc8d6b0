import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { eq } from '../../db/drizzle-orm.ts';
import { githubApps } from '../../db/schema.ts';
import { Unavailable } from '../../domain/errors.ts';
import type { ConvertedApp } from '../../github/convert-app-manifest.ts';
import type { SecretBox } from './secret-box.ts';

const ROW_ID = 1;

const SealedSecrets = z.object({
  privateKey: z.string(),
  webhookSecret: z.string().nullable(),
  clientSecret: z.string(),
});

/** The GitHub App Glimpse connected itself, with its secrets opened. */
export interface StoredGithubApp {
  appId: number;
  slug: string;
  name: string;
  owner: string | null;
  htmlUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  privateKey: string;
  webhookSecret: string | null;
  connectedAt: Date;
}

/** Keeps the App GitHub created from the manifest, replacing one connected before. */
export async function saveGithubApp(
  db: Database,
  box: SecretBox,
  apiUrl: string,
  app: ConvertedApp,
): Promise<void> {
  const row = {
    id: ROW_ID,
    appId: app.id,
    slug: app.slug,
    name: app.name,
    owner: app.owner?.login ?? null,
    htmlUrl: app.html_url,
    apiUrl,
    clientId: app.client_id,
    sealedSecrets: box.seal(
      JSON.stringify({
        privateKey: app.pem,
        webhookSecret: app.webhook_secret,
        clientSecret: app.client_secret,
      }),
    ),
    connectedAt: new Date(),
  };
  await db.insert(githubApps).values(row).onConflictDoUpdate({ target: githubApps.id, set: row });
}

/** The connected App, or undefined when none was connected. */
export async function loadGithubApp(db: Database, box: SecretBox): Promise<StoredGithubApp | undefined> {
  const [row] = await db.select().from(githubApps).where(eq(githubApps.id, ROW_ID));
  if (row === undefined) return undefined;
  const opened = box.open(row.sealedSecrets);
  if (opened === undefined) {
    throw new Unavailable(
      `The GitHub App ${row.appId} (${row.slug}) is stored encrypted with another key: set GLIMPSE_SECRET_KEY ` +
        'to the key it was stored with (or restore the data dir\'s secret-key), or run "glimpse github connect" again.',
    );
  }
  const secrets = SealedSecrets.parse(JSON.parse(opened));
  return {
    appId: row.appId,
    slug: row.slug,
    name: row.name,
    owner: row.owner,
    htmlUrl: row.htmlUrl,
    apiUrl: row.apiUrl,
    clientId: row.clientId,
    clientSecret: secrets.clientSecret,
    privateKey: secrets.privateKey,
    webhookSecret: secrets.webhookSecret,
    connectedAt: row.connectedAt,
  };
}
