/** One line a preview wrote, as a runtime reads it back. */
export interface LogLine {
  time: Date | undefined;
  /** Pod and container for Kubernetes, process for local; shown as a prefix when there are several. */
  source: string;
  text: string;
}
