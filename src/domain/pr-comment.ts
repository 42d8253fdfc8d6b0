/** Renders the one comment Glimpse keeps on each pull request. Pure: every input is a plain value. */
export const PR_COMMENT_MARKER = '<!-- glimpse:preview -->';

export type PrCommentStatus =
  | 'pending'
  | 'waiting'
  | 'building'
  | 'deploying'
  | 'running'
  | 'failed'
  | 'deleting'
  | 'deleted'
  | 'expired';

export interface PrCommentFailure {
  reason: string;
  /** The last lines of the build or runtime log; only the tail is shown. */
  logLines: readonly string[];
  /** The commit deployed before, which still serves the preview (a redeploy failed, not the preview). */
  stillServing?: { sha: string; url: string } | undefined;
}

export interface PrCommentInput {
  status: PrCommentStatus;
  commitSha: string;
  /** The preview's own URL, shown once it runs. */
  previewUrl?: string | undefined;
  /** The environment's page on Glimpse's public URL (dashboard). */
  environmentUrl: string;
  now: Date;
  /** 1-based position in the deploy queue while pending. */
  queuePosition?: number | undefined;
  failure?: PrCommentFailure | undefined;
  /** While waiting: what the preview waits for (an approval, a label), or why it cannot deploy. */
  waitingFor?: string | undefined;
}

export const MAX_LOG_LINES = 30;

const headline: Record<PrCommentStatus, string> = {
  pending: '⏳ Queued',
  waiting: '✋ Waiting',
  building: '🔨 Building',
  deploying: '🚀 Deploying',
  running: '✅ Running',
  failed: '❌ Failed',
  deleting: '🧹 Deleting',
  deleted: '🗑️ Deleted',
  expired: '💤 Expired',
};

export function renderPrComment(input: PrCommentInput): string {
  const lines = [PR_COMMENT_MARKER, `### Glimpse preview: ${headline[input.status]}`, ''];
  const rows = [
    `| Commit | \`${shortSha(input.commitSha)}\` |`,
    ...(input.status === 'running' && input.previewUrl ? [`| Preview | ${input.previewUrl} |`] : []),
    ...(input.status === 'pending' && input.queuePosition !== undefined
      ? [`| Queue position | ${input.queuePosition} |`]
      : []),
    `| Updated | ${formatTime(input.now)} |`,
  ];
  lines.push('| | |', '|---|---|', ...rows, '');

  if (input.status === 'failed' && input.failure) {
    // A reason of several lines (a YAML error with the offending lines) keeps them, as a block.
    const [head = '', ...detail] = input.failure.reason.trimEnd().split('\n');
    lines.push(`**Reason:** ${oneLine(head)}`, '');
    while (detail[0]?.trim() === '') detail.shift();
    if (detail.length > 0) lines.push(fenceFor(detail), ...detail, fenceFor(detail), '');
    const serving = input.failure.stillServing;
    if (serving !== undefined) {
      lines.push(
        `The previous version, \`${shortSha(serving.sha)}\`, is still serving at ${serving.url}.`,
        '',
      );
    }
    const tail = input.failure.logLines.slice(-MAX_LOG_LINES);
    if (tail.length > 0) {
      const fence = fenceFor(tail);
      lines.push(
        '<details open><summary>Last log lines</summary>',
        '',
        fence,
        ...tail,
        fence,
        '',
        '</details>',
        '',
      );
    }
  }
  if (input.status === 'waiting' && input.waitingFor !== undefined) {
    lines.push(`**Waiting:** ${oneLine(input.waitingFor)}`, '');
  }
  if (input.status === 'expired') {
    lines.push(
      'This preview was stopped after its time to live. Push a commit or reopen the PR to bring it back.',
      '',
    );
  }
  lines.push(`[Environment details](${input.environmentUrl})`);
  return `${lines.join('\n')}\n`;
}

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** A backtick fence longer than any backtick run inside the block, so log text cannot close it. */
function fenceFor(content: readonly string[]): string {
  const longest = Math.max(
    0,
    ...content.flatMap((line) => (line.match(/`+/g) ?? []).map((run) => run.length)),
  );
  return '`'.repeat(Math.max(3, longest + 1));
}
