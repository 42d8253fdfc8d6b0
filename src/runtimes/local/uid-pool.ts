import { RuntimeFailure } from '../runtime.ts';
import type { UidRange } from './choose-sandbox.ts';

/**
 * The uids of GLIMPSE_LOCAL_UID_RANGE handed to previews, one per live preview, so no two previews ever
 * share one. A preview recovered after a restart asks for the uid its state file recorded and gets it back.
 */
export class UidPool {
  readonly #range: UidRange;
  readonly #held = new Set<number>();

  constructor(range: UidRange) {
    this.#range = range;
  }

  /** `wanted` when it is in the range and free, else the lowest free uid. */
  take(wanted?: number): number {
    const { first, last } = this.#range;
    if (wanted !== undefined && wanted >= first && wanted <= last && !this.#held.has(wanted)) {
      this.#held.add(wanted);
      return wanted;
    }
    for (let uid = first; uid <= last; uid += 1) {
      if (this.#held.has(uid)) continue;
      this.#held.add(uid);
      return uid;
    }
    throw new RuntimeFailure(
      `Every uid of GLIMPSE_LOCAL_UID_RANGE (${first}-${last}) belongs to a live preview: widen the range, or close previews.`,
      { transient: true },
    );
  }

  give(uid: number): void {
    this.#held.delete(uid);
  }
}
