import { describe, expect, it } from 'vitest';
import { explanationSentences, type PullRequestFactsForExplanation } from './explanation-sentences.ts';

const base: PullRequestFactsForExplanation = {
  repo: 'acme/web',
  prNumber: 12,
  repoEnabled: true,
  environment: undefined,
  gate: { decision: 'not-decided', reason: null },
  deliveries: [],
  latestEvent: undefined,
};

const env = (fields: Partial<NonNullable<PullRequestFactsForExplanation['environment']>>) => ({
  phase: 'running' as const,
  url: 'https://pr-web-12.preview.test',
  headSha: 'b'.repeat(40),
  deployedSha: 'b'.repeat(40),
  statusDetail: null,
  error: null,
  settled: true,
  desiredState: 'active' as const,
  ...fields,
});

describe('why a pull request has its preview, in sentences', () => {
  it('says when no webhook ever arrived, and when the repository is not connected', () => {
    expect(explanationSentences(base)).toEqual([
      "Glimpse has received no webhook about acme/web#12: check that the GitHub App's webhook reaches Glimpse.",
    ]);
    expect(
      explanationSentences({
        ...base,
        repoEnabled: undefined,
        deliveries: [
          { event: 'pull_request', action: 'opened', outcome: 'ignored', detail: 'repository not connected' },
        ],
      }),
    ).toEqual([
      'acme/web is not connected to Glimpse: install the Glimpse GitHub App on it to get previews.',
      'acme/web#12 has no preview: the latest delivery (pull_request opened) was ignored: repository not connected.',
    ]);
  });

  it('names the gate that holds a PR back, and a newer commit the gate holds back from a running preview', () => {
    const reason = 'Draft pull request: it deploys once it is marked ready for review.';
    expect(
      explanationSentences({
        ...base,
        environment: env({ phase: 'pending', deployedSha: null, url: null, statusDetail: reason }),
        gate: { decision: 'blocked', reason },
      }),
    ).toEqual([`acme/web#12 has no preview: the deploy gate holds it back. ${reason}`]);
    expect(
      explanationSentences({
        ...base,
        environment: env({ deployedSha: 'a'.repeat(40), statusDetail: reason }),
        gate: { decision: 'blocked', reason },
        latestEvent: { reason: 'GateBlocked', message: reason, time: '2026-12-07T06:00:00.000Z' },
      }),
    ).toEqual([
      'acme/web#12 has a preview running aaaaaaa at https://pr-web-12.preview.test. The head bbbbbbb is newer and not deployed yet.',
      `The deploy gate holds back the newer commit: ${reason}`,
      `Latest event (2026-12-07T06:00:00.000Z): GateBlocked: ${reason}`,
    ]);
  });

  it('gives a failure its first line, and an ignored latest delivery its reason', () => {
    expect(
      explanationSentences({
        ...base,
        environment: env({ phase: 'failed', error: 'CrashLoopBackOff\nlast output', settled: false }),
        deliveries: [
          {
            event: 'pull_request',
            action: 'synchronize',
            outcome: 'ignored',
            detail: 'pull request is closed',
          },
        ],
      }),
    ).toEqual([
      "acme/web#12's preview failed: CrashLoopBackOff. Glimpse is working on the latest change.",
      'The latest delivery (pull_request synchronize) was ignored: pull request is closed.',
    ]);
  });
});
