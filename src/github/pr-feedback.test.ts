import { describe, expect, it } from 'vitest';
import { NotFound, Unavailable } from '../domain/errors.ts';
import { PR_COMMENT_MARKER } from '../domain/pr-comment.ts';
import { createRedactor } from '../domain/redactor.ts';
import type { GithubClient } from './github-client.ts';
import { hashCommentBody, upsertPrComment } from './pr-feedback.ts';

/** Only the comment operations are used; the others fail loudly if called. */
function fakeComments(options: { updateFails?: Error; found?: number }) {
  const calls: string[] = [];
  const unused = () => Promise.reject(new Error('not used'));
  const github: GithubClient = {
    readFile: unused,
    readFiles: unused,
    downloadTarball: unused,
    hasWriteAccess: unused,
    listOpenPullRequestNumbers: unused,
    getPullRequest: unused,
    checkState: unused,
    createDeployment: unused,
    setDeploymentStatus: unused,
    async updateComment(_repo, id, body) {
      calls.push(`update ${id} ${body.length}`);
      if (options.updateFails && id !== options.found) throw options.updateFails;
    },
    async findComment() {
      calls.push('find');
      return options.found;
    },
    async createComment() {
      calls.push('create');
      return 77;
    },
  };
  return { github, calls };
}

const repo = { installationId: 1, owner: 'acme', repo: 'web' };
const input = { repo, prNumber: 5, redactor: createRedactor([]) };

describe('upsertPrComment', () => {
  it('adds the marker when the body lacks it and hashes what it posts', async () => {
    const { github } = fakeComments({});
    const result = await upsertPrComment(github, {
      ...input,
      body: 'hello',
      commentId: null,
      lastBodyHash: null,
    });
    expect(result).toEqual({
      commentId: 77,
      bodyHash: hashCommentBody(`${PR_COMMENT_MARKER}\nhello`),
      action: 'created',
    });
  });

  it('does not swallow errors other than NotFound', async () => {
    const { github, calls } = fakeComments({ updateFails: new Unavailable('down') });
    await expect(
      upsertPrComment(github, { ...input, body: 'x', commentId: 3, lastBodyHash: 'old' }),
    ).rejects.toBeInstanceOf(Unavailable);
    expect(calls).toEqual([expect.stringMatching(/^update 3/)]);
  });

  it('re-finds a deleted comment by marker and updates that one', async () => {
    const { github, calls } = fakeComments({ updateFails: new NotFound('gone'), found: 9 });
    const result = await upsertPrComment(github, { ...input, body: 'x', commentId: 3, lastBodyHash: 'old' });
    expect(result.action).toBe('found');
    expect(result.commentId).toBe(9);
    expect(calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['update 3', 'find', 'update 9']);
  });

  it('creates the first comment of a brand-new environment without looking for an old one', async () => {
    const { github, calls } = fakeComments({ found: 9 });
    const result = await upsertPrComment(github, {
      ...input,
      body: 'x',
      commentId: null,
      lastBodyHash: null,
      mayExist: false,
    });
    expect(result).toMatchObject({ commentId: 77, action: 'created' });
    expect(calls).toEqual(['create']);
  });

  it('still looks for the marker when the environment may have commented before', async () => {
    const { github, calls } = fakeComments({ found: 9 });
    const result = await upsertPrComment(github, {
      ...input,
      body: 'x',
      commentId: null,
      lastBodyHash: null,
    });
    expect(result).toMatchObject({ commentId: 9, action: 'found' });
    expect(calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['find', 'update 9']);
  });
});
