import { describe, expect, it } from 'vitest';
import { decideDeployGate, type GateFacts } from './deploy-gate.ts';
import { GlimpseConfig } from './glimpse-config.ts';

const config = (fields: Record<string, unknown> = {}) => GlimpseConfig.parse(fields);
const facts = (fields: Partial<GateFacts> = {}): GateFacts => ({
  isFork: false,
  isDraft: false,
  labels: [],
  labelSenders: {},
  approvedBy: null,
  forksRefused: undefined,
  ...fields,
});

describe('decideDeployGate', () => {
  it('refuses forks where the runtime cannot confine them, even approved and labelled by a maintainer', () => {
    const refused = { isFork: true, forksRefused: 'no sandbox', labels: ['preview'], approvedBy: 'ada' };
    expect(decideDeployGate(config(), facts(refused))).toEqual({ kind: 'wait', reason: 'no sandbox' });
    expect(decideDeployGate(config(), facts({ forksRefused: 'no sandbox' }))).toEqual({ kind: 'deploy' });
  });

  it('deploys an ordinary PR from the repo itself', () => {
    expect(decideDeployGate(config(), facts())).toEqual({ kind: 'deploy' });
  });

  it('keeps a fork waiting until the label is added, then asks who added it', () => {
    expect(decideDeployGate(config(), facts({ isFork: true }))).toMatchObject({
      kind: 'wait',
      reason: expect.stringContaining('`preview` label'),
    });
    expect(
      decideDeployGate(
        config(),
        facts({ isFork: true, labels: ['preview'], labelSenders: { preview: 'maintainer' } }),
      ),
    ).toEqual({ kind: 'check-labeler', login: 'maintainer' });
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

  it('deploys anything a team member asked for explicitly', () => {
    expect(
      decideDeployGate(
        config({ skipDrafts: true }),
        facts({ isFork: true, isDraft: true, approvedBy: 'octocat' }),
      ),
    ).toEqual({
      kind: 'deploy',
    });
  });
});
