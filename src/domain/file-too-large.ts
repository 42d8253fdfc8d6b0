/**
 * A repository file Glimpse reads (its `.glimpse.yml`) is over the size Glimpse reads; sources throw it
 * instead of answering "no such file", so the deployment fails saying so.
 */
export class FileTooLarge extends Error {
  readonly bytes: number;

  constructor(path: string, bytes: number) {
    super(`${path} is ${bytes} bytes, over the size Glimpse reads`);
    this.name = 'FileTooLarge';
    this.bytes = bytes;
  }
}
