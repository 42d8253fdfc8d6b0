import type { z } from 'zod';
import { describeIssues } from '../parse-input.ts';

/** What handling one webhook delivery did; recorded with the delivery and answered to GitHub. */
export type HandlerResult =
  | { outcome: 'applied'; environmentIds: string[]; detail?: string }
  | { outcome: 'ignored'; reason: string };

/** Why a delivery whose payload Glimpse cannot use is ignored, naming each unusable field. */
export function unusablePayload(event: string, error: z.ZodError): string {
  return `${event} payload has fields Glimpse cannot use: ${describeIssues(error, 'payload')}`;
}
