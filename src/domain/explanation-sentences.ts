import type { Phase } from './vocabulary.ts';

/** What is known of a pull request, for `explanationSentences`. */
export interface PullRequestFactsForExplanation {
  repo: string;
  prNumber: number;
  /** undefined: no connected repository of that name. */
  repoEnabled: boolean | undefined;
  environment:
    | {
        phase: Phase;
        url: string | null;
        headSha: string;
        deployedSha: string | null;
        statusDetail: string | null;
        error: string | null;
        settled: boolean;
        desiredState: 'active' | 'closed';
      }
    | undefined;
  gate: { decision: string; reason: string | null };
  /** Newest first. */
  deliveries: readonly { event: string; action: string | null; outcome: string; detail: string | null }[];
  latestEvent: { reason: string; message: string; time: string } | undefined;
}

const short = (sha: string) => sha.slice(0, 7);
const what = (d: { event: string; action: string | null }) =>
  d.action === null ? d.event : `${d.event} ${d.action}`;

/** Why a pull request has the preview it has (or none), in plain sentences, most important first. */
export function explanationSentences(facts: PullRequestFactsForExplanation): string[] {
  const pr = `${facts.repo}#${facts.prNumber}`;
  const sentences: string[] = [];
  const [latest] = facts.deliveries;
  if (facts.repoEnabled === undefined)
    sentences.push(
      `${facts.repo} is not connected to Glimpse: install the Glimpse GitHub App on it to get previews.`,
    );
  else if (!facts.repoEnabled)
    sentences.push(
      `${facts.repo} was disconnected from Glimpse (the GitHub App no longer has access to it).`,
    );
  const env = facts.environment;
  if (env === undefined) {
    if (latest === undefined)
      sentences.push(
        `Glimpse has received no webhook about ${pr}: check that the GitHub App's webhook reaches Glimpse.`,
      );
    else
      sentences.push(
        `${pr} has no preview: the latest delivery (${what(latest)}) was ${latest.outcome}${latest.detail === null ? '' : `: ${latest.detail}`}.`,
      );
  } else {
    const held = facts.gate.decision === 'blocked' ? facts.gate.reason : null;
    if (held !== null && env.phase === 'pending' && env.statusDetail === held)
      sentences.push(`${pr} has no preview: the deploy gate holds it back. ${held}`);
    else {
      sentences.push(phaseSentence(pr, env));
      if (held !== null && env.phase === 'running' && env.deployedSha !== env.headSha)
        sentences.push(`The deploy gate holds back the newer commit: ${held}`);
    }
    if (latest !== undefined && latest.outcome !== 'applied')
      sentences.push(
        `The latest delivery (${what(latest)}) was ${latest.outcome}${latest.detail === null ? '' : `: ${latest.detail}`}.`,
      );
  }
  if (facts.latestEvent !== undefined)
    sentences.push(
      `Latest event (${facts.latestEvent.time}): ${facts.latestEvent.reason}: ${facts.latestEvent.message}`,
    );
  return sentences;
}

function phaseSentence(pr: string, env: NonNullable<PullRequestFactsForExplanation['environment']>): string {
  const pending = env.settled ? '' : ' Glimpse is working on the latest change.';
  switch (env.phase) {
    case 'running': {
      const newer =
        env.deployedSha !== null && env.deployedSha !== env.headSha
          ? ` The head ${short(env.headSha)} is newer and not deployed yet.`
          : '';
      return `${pr} has a preview running ${short(env.deployedSha ?? env.headSha)} at ${env.url ?? '(no URL)'}.${newer}${pending}`;
    }
    case 'failed':
      return `${pr}'s preview failed: ${ended((env.error ?? 'no reason recorded').split('\n')[0] ?? '')}${env.statusDetail === null ? '' : ` ${env.statusDetail}`}${pending}`;
    case 'building':
    case 'deploying':
      return `${pr}'s preview of ${short(env.headSha)} is ${env.phase}${env.statusDetail === null ? '.' : `: ${env.statusDetail}`}${pending}`;
    case 'deleting':
    case 'deleted':
      return `${pr}'s preview is ${env.phase}${env.desiredState === 'closed' ? ' (the pull request is closed or the preview was deleted)' : ''}.${env.statusDetail === null ? '' : ` ${env.statusDetail}`}${pending}`;
    default:
      return `${pr}'s preview is ${env.phase}${env.statusDetail === null ? '.' : `: ${env.statusDetail}`}${pending}`;
  }
}

/** The text as a sentence: with a full stop unless it ends in punctuation already. */
function ended(text: string): string {
  return /[.!?:]$/.test(text) ? text : `${text}.`;
}
