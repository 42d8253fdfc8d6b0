import { describe, expect, it } from 'vitest';
import { githubRouteFamily } from './github-route-family.ts';

describe('githubRouteFamily', () => {
  it('names the family of a route template, never its parameters', () => {
    expect(githubRouteFamily('/repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe('issue_comments');
    expect(githubRouteFamily('/repos/{owner}/{repo}/issues/comments/{comment_id}')).toBe('issue_comments');
    expect(githubRouteFamily('/repos/{owner}/{repo}/deployments/{deployment_id}/statuses')).toBe(
      'deployment_statuses',
    );
    expect(githubRouteFamily('/repos/{owner}/{repo}/deployments')).toBe('deployments');
    expect(githubRouteFamily('/app/installations/{installation_id}/access_tokens')).toBe(
      'installation_token',
    );
    expect(githubRouteFamily('/repos/{owner}/{repo}/contents/{path}')).toBe('contents');
    expect(githubRouteFamily('/graphql')).toBe('graphql');
  });

  it('reads absolute URLs (a next page, GitHub Enterprise) the same way', () => {
    expect(githubRouteFamily('https://api.github.com/repos/acme/shop/issues/12/comments?page=2')).toBe(
      'issue_comments',
    );
    expect(githubRouteFamily('https://ghe.example.com/api/v3/repos/acme/shop/pulls?state=open')).toBe(
      'pulls',
    );
    expect(githubRouteFamily('https://ghe.example.com/api/v3/repos/acme/shop/tarball/abc123')).toBe(
      'tarball',
    );
  });

  it('puts everything it does not know under "other"', () => {
    expect(githubRouteFamily('/user/repos')).toBe('other');
    expect(githubRouteFamily('/repos/acme/shop/git/refs/heads/pr-1234')).toBe('other');
    expect(githubRouteFamily('not a url at all')).toBe('other');
  });
});
