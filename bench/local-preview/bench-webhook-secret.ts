/**
 * The webhook secret of the bench's Glimpse process. Kept apart from `glimpse-process.ts`, whose top level
 * starts Glimpse: importing a value from there ran a second Glimpse in the parent.
 */
export const BENCH_WEBHOOK_SECRET = 'local-preview-bench-secret-0123456789';
