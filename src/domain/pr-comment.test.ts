import { describe, expect, it } from 'vitest';
import { MAX_LOG_LINES, PR_COMMENT_MARKER, renderPrComment } from './pr-comment.ts';

const base = {
  commitSha: '0123456789abcdef0123456789abcdef01234567',
  environmentUrl: 'https://glimpse.example.com/envs/acme/web/12',
  now: new Date('2026-11-22T01:59:30Z'),
};

describe('renderPrComment', () => {
  it('starts with the hidden marker and shows status, short sha, time and environment link', () => {
    const body = renderPrComment({ ...base, status: 'building' });
    expect(body.startsWith(PR_COMMENT_MARKER)).toBe(true);
    expect(body).toContain('🔨 Building');
    expect(body).toContain('`0123456`');
    expect(body).not.toContain('0123456789abcdef');
    expect(body).toContain('2026-11-22 01:59 UTC');
    expect(body).toContain('(https://glimpse.example.com/envs/acme/web/12)');
  });

  it('shows the preview URL only once running', () => {
    const url = 'https://pr-web-12.preview.example.com';
    expect(renderPrComment({ ...base, status: 'deploying', previewUrl: url })).not.toContain(url);
    const body = renderPrComment({ ...base, status: 'running', previewUrl: url });
    expect(body).toContain('✅ Running');
    expect(body).toContain(url);
  });

  it('says what a waiting preview waits for', () => {
    const body = renderPrComment({
      ...base,
      status: 'waiting',
      waitingFor: 'A maintainer must approve\nthis commit.',
    });
    expect(body).toContain('✋ Waiting');
    expect(body).toContain('**Waiting:** A maintainer must approve this commit.');
  });

  it('shows the queue position while pending', () => {
    expect(renderPrComment({ ...base, status: 'pending', queuePosition: 3 })).toContain(
      '| Queue position | 3 |',
    );
  });

  it('on failure shows the reason and the tail of the log in a fence the log cannot close', () => {
    const logLines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    logLines.push('sneaky ``` fence');
    const body = renderPrComment({
      ...base,
      status: 'failed',
      failure: { reason: 'image never became ready', logLines },
    });
    expect(body).toContain('❌ Failed');
    expect(body).toContain('**Reason:** image never became ready');
    expect(body).toContain('sneaky ``` fence');
    expect(body).not.toContain('line 10\n');
    expect(body).toContain(`line ${41 - MAX_LOG_LINES}\n`);
    expect(body).toMatch(/````\nline/);
  });

  it('keeps the lines of a reason of several lines, such as a YAML error, as a block', () => {
    const reason =
      '.glimpse.yml is not valid YAML: Nested mappings are not allowed at line 2, column 10:\n\n' +
      '  start: node server.js\n         ^';
    const body = renderPrComment({ ...base, status: 'failed', failure: { reason, logLines: [] } });
    expect(body).toContain(
      '**Reason:** .glimpse.yml is not valid YAML: Nested mappings are not allowed at line 2, column 10:\n',
    );
    expect(body).toContain('```\n  start: node server.js\n         ^\n```');
  });

  it('on a failed redeploy says which version still serves, and where', () => {
    const failure = {
      reason: 'build exited with code 4',
      logLines: [],
      stillServing: {
        sha: 'fedcba9876543210fedcba9876543210fedcba98',
        url: 'https://pr-web-12.preview.example.com',
      },
    };
    const body = renderPrComment({ ...base, status: 'failed', failure });
    expect(body).toContain(
      'The previous version, `fedcba9`, is still serving at https://pr-web-12.preview.example.com.',
    );
    expect(
      renderPrComment({ ...base, status: 'failed', failure: { ...failure, stillServing: undefined } }),
    ).not.toContain('still serving');
  });

  it('after expiry explains how to bring the preview back', () => {
    const body = renderPrComment({ ...base, status: 'expired' });
    expect(body).toContain('💤 Expired');
    expect(body).toMatch(/Push a commit or reopen/);
  });
});
