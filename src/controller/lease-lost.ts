/** A write under a lease found the lease gone: another attempt holds the environment now, and this one stops. */
export class LeaseLost extends Error {
  constructor(environmentId: string) {
    super(`the lease on environment ${environmentId} was lost: a newer attempt holds it`);
    this.name = 'LeaseLost';
  }
}
