import { z } from 'zod';
import { EVENT_REASONS, EVENT_TYPES } from '../../domain/environment-event.ts';
import { PR_NUMBER_MAX } from '../../domain/pr-number-max.ts';
import { PHASES } from '../../domain/vocabulary.ts';
import { QueryText } from './environment-schemas.ts';

/** One entry of an environment's timeline. */
export const EventView = z.object({
  id: z.number().int(),
  time: z.string(),
  type: z.enum(EVENT_TYPES).describe('Normal, or Warning when something may need a person'),
  reason: z.enum(EVENT_REASONS).describe('what happened, from a fixed vocabulary (see README)'),
  message: z.string().describe('one plain sentence'),
  details: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('structured facts: gate, checks, attempt, …'),
});
export type EventView = z.infer<typeof EventView>;

export const EventPage = z.object({
  items: z.array(EventView).describe('oldest first'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});
export type EventPage = z.infer<typeof EventPage>;

export const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: QueryText(1, 40).optional(),
});
export type EventsQuery = z.input<typeof EventsQuery>;

/** A webhook delivery about a pull request, with what became of it. */
export const PullDeliveryView = z.object({
  deliveryId: z.string(),
  event: z.string(),
  action: z.string().nullable(),
  outcome: z.string().describe('applied, ignored, …'),
  detail: z.string().nullable().describe('why, for ignored deliveries'),
  receivedAt: z.string(),
});

export const ExplainInput = z.object({
  repoFullName: z
    .string()
    .max(200)
    .regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name')
    .describe('the repository, owner/name'),
  prNumber: z.number().int().min(1).max(PR_NUMBER_MAX).describe('the pull request number'),
});
export type ExplainInput = z.infer<typeof ExplainInput>;

export const GATE_DECISIONS = [
  'passed',
  'blocked',
  'waiting-for-checks',
  'config-invalid',
  'not-decided',
] as const;

/** Why a pull request has (or has not) a preview: sentences for people, fields for programs. */
export const PullRequestExplanation = z.object({
  repo: z.string(),
  prNumber: z.number().int(),
  summary: z.array(z.string()).describe('plain sentences, most important first'),
  environment: z
    .object({
      id: z.string(),
      namespace: z.string(),
      phase: z.enum(PHASES),
      url: z.string().nullable(),
      headSha: z.string(),
      deployedSha: z.string().nullable(),
      statusDetail: z.string().nullable(),
      error: z.string().nullable(),
      settled: z.boolean(),
    })
    .nullable()
    .describe('null when no environment was ever created for the pull request'),
  gate: z.object({
    decision: z.enum(GATE_DECISIONS),
    gate: z.string().nullable().describe('which gate holds it back: sandbox, draft, label, fork-approval, …'),
    reason: z.string().nullable(),
  }),
  deliveries: z.array(PullDeliveryView).describe('the latest webhook deliveries about it, newest first'),
  events: z.array(EventView).describe('the latest entries of its timeline, oldest first'),
});
export type PullRequestExplanation = z.infer<typeof PullRequestExplanation>;
