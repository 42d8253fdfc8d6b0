import { normal } from '../domain/environment-event.ts';
import type { GithubClient } from '../github/github-client.ts';
import type { EnvironmentUpdates } from './environment-updates.ts';
import type { GithubFeedback } from './github-feedback.ts';
import { repoRef, type WorkItem } from './work-item.ts';

/** What carrying out a comment command needs of the reconcile's dependencies. */
interface CommentCommandDeps {
  github: GithubClient | undefined;
  updates: EnvironmentUpdates;
  feedback: GithubFeedback;
}

/**
 * Carries out a pending `/glimpse redeploy` or `/glimpse destroy` once its author's write access is
 * confirmed: destroy closes the environment (the controller then deletes it), redeploy lets the converge
 * that follows deploy again. Anyone else's command is answered on the PR, once, and changes nothing.
 * Returns false when the command was ignored and nothing else asks for a deploy.
 */
export async function carryOutCommentCommand(deps: CommentCommandDeps, item: WorkItem): Promise<boolean> {
  const asked = item.env.commentCommand;
  if (asked === null) return true;
  const allowed =
    deps.github !== undefined && (await deps.github.hasWriteAccess(repoRef(item.repo), asked.login));
  await deps.updates.takeCommentCommand(
    item,
    asked,
    allowed && asked.command === 'destroy',
    allowed
      ? [
          normal(
            'ActionBy',
            `${asked.login} asked for a ${asked.command} with \`/glimpse ${asked.command}\`.`,
            {
              actor: asked.login,
              action: asked.command,
              via: 'comment',
            },
          ),
        ]
      : [],
  );
  if (allowed) return true;
  await deps.feedback.reply(
    item,
    `Ignored \`/glimpse ${asked.command}\` from @${asked.login}: only people with write access to this repository can ${asked.command} its previews.`,
  );
  // A push that arrived with the command still needs its deploy.
  return item.env.deployedSha !== item.env.headSha || item.env.phase !== 'running';
}
