/** How many lines of a failed preview's output its recorded error keeps. */
export const ERROR_OUTPUT_LINES = 10;
const OUTPUT_HEADING = 'Last lines of its output:';

/**
 * The error recorded on an environment: the reason and, when the preview printed anything, the last lines
 * of its output (already sanitised), so that `env show`, `simulate` and the API say why without the logs.
 */
export function failureWithOutput(reason: string, logLines: readonly string[]): string {
  const tail = logLines.filter((line) => line.trim() !== '').slice(-ERROR_OUTPUT_LINES);
  if (tail.length === 0) return reason;
  return `${reason}\n${OUTPUT_HEADING}\n${tail.map((line) => `  ${line}`).join('\n')}`;
}

/** The reason of a recorded error, without the output lines `failureWithOutput` added. */
export function failureReason(error: string): string {
  const at = error.indexOf(`\n${OUTPUT_HEADING}\n`);
  return at < 0 ? error : error.slice(0, at);
}
