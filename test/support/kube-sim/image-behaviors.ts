/** How the fake kubelet runs a container image. */
export type ImageBehavior =
  | {
      kind: 'ok' /** HTTP status by path for the service proxy; 200 when not listed. */;
      responses?: Record<string, number>;
    }
  | { kind: 'crash'; exitCode?: number; message?: string }
  | { kind: 'pull-error' }
  | { kind: 'unready' };

/** Behaviours by image reference: exact match first, then the repository without its tag. */
export class ImageBehaviors {
  private readonly byImage = new Map<string, ImageBehavior>();

  set(image: string, behavior: ImageBehavior): void {
    this.byImage.set(image, behavior);
  }

  clear(): void {
    this.byImage.clear();
  }

  get(image: string): ImageBehavior {
    const exact = this.byImage.get(image);
    if (exact !== undefined) return exact;
    const repo = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
    return this.byImage.get(repo) ?? { kind: 'ok' };
  }
}
