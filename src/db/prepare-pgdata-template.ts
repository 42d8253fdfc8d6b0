/**
 * Run by `npm install` (postinstall): prepares the embedded database's template, so that the first
 * `glimpse serve` on a new data dir copies it instead of running initdb. Best effort: without it, the
 * first start makes the template itself.
 */
import { preparePgdataTemplate } from './create-pgdata.ts';

try {
  if (!(await preparePgdataTemplate()))
    console.warn('glimpse: the embedded database template could not be kept');
} catch (error) {
  console.warn(`glimpse: could not prepare the embedded database template: ${String(error)}`);
}
