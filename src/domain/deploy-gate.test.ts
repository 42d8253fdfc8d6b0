import { describe, expect, it } from 'vitest';
import { decideDeployGate, type GateFacts } from './deploy-gate.ts';
import { GlimpseConfig } from './glimpse-config.ts';

const SHA1 = '1'.repeat(40);
const SHA2 = '2'.repeat(40);
const config = (fields: Record<string, unknown> = {}) => GlimpseConfig.parse(fields);
const facts = (fields: Partial<GateFacts> = {}): GateFacts => ({
  isFork: false,
  isDraft: false,
  headSha: SHA2,
  labels: [],
  labelSenders: {},
  labelShas: {},
  commentApproval: null,
  approvedBy: null,
  approvedSha: null,
  forksRefused: undefined,
  ...fields,
});

describe('decideDeployGate', () => {
  it('refuses forks where the runtime cannot confine them, even approved and labelled by a maintainer', () => {
    const refused = { isFork: true, forksRefused: 'no sandbox', labels: ['preview'], approvedBy: 'ada' };
    expect(decideDeployGate(config(), facts(refused))).toEqual({
      kind: 'wait',
      gate: 'sandbox',
      reason: 'no sandbox',
    });
    expect(decideDeployGate(config(), facts({ forksRefused: 'no sandbox' }))).toEqual({ kind: 'deploy' });
  });

  it('deploys an ordinary PR from the repo itself', () => {
    expect(decideDeployGate(config(), facts())).toEqual({ kind: 'deploy' });
  });

  it('keeps a fork waiting until the label is added, then asks who added it', () => {
    expect(decideDeployGate(config(), facts({ isFork: true }))).toMatchObject({
      kind: 'wait',
      gate: 'fork-approval',
      reason: expect.stringContaining('`preview` label'),
    });
    expect(
      decideDeployGate(
        config(),
        facts({
          isFork: true,
          labels: ['preview'],
          labelSenders: { preview: 'maintainer' },
          labelShas: { preview: SHA2 },
        }),
      ),
    ).toEqual({ kind: 'check-approver', login: 'maintainer', via: 'label' });
  });

  it('lets the label approve a fork only at the commit it was added for; a later push waits', () => {
    const labelled = { isFork: true, labels: ['preview'], labelSenders: { preview: 'maintainer' } };
    const pushed = decideDeployGate(config(), facts({ ...labelled, labelShas: { preview: SHA1 } }));
    expect(pushed).toEqual({
      kind: 'wait',
      gate: 'fork-approval',
      reason:
        'Pull request from a fork: maintainer approved `1111111`, and new commits were pushed since. A maintainer must approve `2222222`: comment `/glimpse approve`.',
    });
    // Recorded before approvals had commits: it approves nothing.
    expect(decideDeployGate(config(), facts(labelled))).toMatchObject({ kind: 'wait' });
  });

  it('takes `/glimpse approve` for the head commit it was given at, with or without the label', () => {
    const approved = { login: 'ada', sha: SHA2 };
    expect(decideDeployGate(config(), facts({ isFork: true, commentApproval: approved }))).toEqual({
      kind: 'check-approver',
      login: 'ada',
      via: 'comment',
    });
    const draft = config({ skipDrafts: true });
    expect(decideDeployGate(draft, facts({ isDraft: true, commentApproval: approved }))).toMatchObject({
      kind: 'check-approver',
    });
    // Where nothing waits, a comment changes nothing (so a stranger's comment cannot hold a PR back).
    expect(decideDeployGate(config(), facts({ commentApproval: approved }))).toEqual({ kind: 'deploy' });
    const stale = { isFork: true, commentApproval: { login: 'ada', sha: SHA1 } };
    expect(decideDeployGate(config(), facts(stale))).toMatchObject({
      kind: 'wait',
      reason: expect.stringContaining('ada approved `1111111`, and new commits were pushed since'),
    });
  });

  it('does not trust a label on a fork when nobody is known to have added it', () => {
    expect(decideDeployGate(config(), facts({ isFork: true, labels: ['preview'] }))).toMatchObject({
      kind: 'wait',
    });
  });

  it('uses the configured label name and can require it for every PR', () => {
    const requireLabel = config({ requireLabel: true, label: 'deploy-me' });
    expect(decideDeployGate(requireLabel, facts({ labels: ['preview'] }))).toMatchObject({ kind: 'wait' });
    expect(decideDeployGate(requireLabel, facts({ labels: ['deploy-me'] }))).toEqual({ kind: 'deploy' });
  });

  it('skips drafts only when the repo asks for it', () => {
    expect(decideDeployGate(config(), facts({ isDraft: true }))).toEqual({ kind: 'deploy' });
    expect(decideDeployGate(config({ skipDrafts: true }), facts({ isDraft: true }))).toMatchObject({
      kind: 'wait',
      reason: expect.stringContaining('ready for review'),
    });
  });

  it('deploys what a team member asked for explicitly: a draft, a PR without the label, a fork at that commit', () => {
    expect(
      decideDeployGate(
        config({ skipDrafts: true }),
        facts({ isFork: true, isDraft: true, approvedBy: 'octocat', approvedSha: SHA2 }),
      ),
    ).toEqual({ kind: 'deploy' });
    expect(
      decideDeployGate(config({ requireLabel: true }), facts({ approvedBy: 'octocat', approvedSha: SHA1 })),
    ).toEqual({ kind: 'deploy' });
  });

  it("keeps a fork's later push waiting after a team member approved an earlier commit", () => {
    expect(
      decideDeployGate(config(), facts({ isFork: true, approvedBy: 'octocat', approvedSha: SHA1 })),
    ).toEqual({
      kind: 'wait',
      gate: 'fork-approval',
      reason: `Pull request from a fork: octocat approved \`1111111\`, and new commits were pushed since. A maintainer must approve \`2222222\`: comment \`/glimpse approve\`.`,
    });
  });
});
