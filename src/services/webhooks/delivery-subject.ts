import { DeliverySubject } from '../../github/webhook-payloads.ts';

/** The repository and pull request a delivery is about; null fields when it is about none. */
export function deliverySubjectOf(
  event: string,
  payload: unknown,
): { repoFullName: string | null; prNumber: number | null } {
  const parsed = DeliverySubject.safeParse(payload);
  if (!parsed.success) return { repoFullName: null, prNumber: null };
  const { repository, number, issue } = parsed.data;
  const prNumber =
    event === 'pull_request'
      ? (number ?? null)
      : event === 'issue_comment' && issue?.pull_request !== undefined
        ? issue.number
        : null;
  return { repoFullName: repository.full_name, prNumber };
}
