/** What someone with write access can ask of Glimpse in a pull request comment. */
export const COMMENT_COMMANDS = ['approve', 'deploy', 'redeploy', 'destroy'] as const;
export type CommentCommand = (typeof COMMENT_COMMANDS)[number];

const COMMAND = /^\s*\/glimpse\s+(\S+)/;

/**
 * The command a comment gives (its first line is `/glimpse <command>`), `undefined` when it is not addressed
 * to Glimpse, or `{ unknown }` for a command Glimpse does not know.
 */
export function parseCommentCommand(body: string): CommentCommand | { unknown: string } | undefined {
  const word = COMMAND.exec(body.split('\n', 1)[0] ?? '')?.[1];
  if (word === undefined) return undefined;
  return (COMMENT_COMMANDS as readonly string[]).includes(word)
    ? (word as CommentCommand)
    : { unknown: word };
}
