import { z } from 'zod';
import { CONFIG_CHECK_OUTCOMES } from '../domain/vocabulary.ts';

/** The JSON shapes of the dashboard's other pages (repositories, deliveries, audit, own tokens). */
export const RepoView = z.object({
  fullName: z.string(),
  team: z.string().describe('slug of the owning team'),
  installationId: z.number(),
  enabled: z.boolean(),
  forkPolicy: z.string().describe('how pull requests from forks are treated'),
  previews: z.number().int().describe('environments that are not deleted'),
  updatedAt: z.string(),
  lastConfigCheck: z
    .object({
      checkedAt: z.string(),
      ref: z.string().describe('the commit (or, for a fork, the base branch) the file was read at'),
      pr: z.number().int().describe('the pull request whose deploy read it'),
      outcome: z
        .enum(CONFIG_CHECK_OUTCOMES)
        .describe('valid; invalid (see error); missing: no .glimpse.yml, so the defaults apply'),
      error: z.string().nullable().describe('what is wrong with the file, when invalid'),
    })
    .nullable()
    .describe("the last read of the repository's .glimpse.yml for a deploy; null before the first"),
});
export const RepoList = z.object({ items: z.array(RepoView) });

export const DeliveryView = z.object({
  deliveryId: z.string(),
  event: z.string(),
  action: z.string().nullable(),
  repo: z.string().nullable().describe('owner/name of the repository it is about, when it names one'),
  prNumber: z.number().int().nullable().describe('the pull request it is about, when it is about one'),
  outcome: z.string().describe('applied, duplicate, ignored, …'),
  detail: z.string().nullable().describe('why, for ignored and failed deliveries'),
  receivedAt: z.string(),
});
export const DeliveryList = z.object({ items: z.array(DeliveryView) });

export const AuditView = z.object({
  id: z.number().int(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.string(),
  message: z.string().nullable(),
  createdAt: z.string(),
});
export const AuditList = z.object({ items: z.array(AuditView) });

export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('the first characters, to tell tokens apart'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export const TokenList = z.object({ items: z.array(TokenView) });
export const CreatedTokenView = TokenView.extend({
  token: z.string().describe('shown once; only its hash is kept'),
});
export const RevokedTokenView = z.object({ id: z.string(), revoked: z.literal(true) });

export type RepoList = z.infer<typeof RepoList>;
export type DeliveryList = z.infer<typeof DeliveryList>;
export type AuditList = z.infer<typeof AuditList>;
export type TokenList = z.infer<typeof TokenList>;
export type CreatedTokenView = z.infer<typeof CreatedTokenView>;
