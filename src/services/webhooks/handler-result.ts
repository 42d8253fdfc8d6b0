/** What handling one webhook delivery did; recorded with the delivery and answered to GitHub. */
export type HandlerResult =
  | { outcome: 'applied'; environmentIds: string[]; detail?: string }
  | { outcome: 'ignored'; reason: string };
