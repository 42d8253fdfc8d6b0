/**
 * Run as a process of its own by `createPgdata`: initialises an empty embedded database in `argv[2]`
 * (PGlite's initdb, with the settings Glimpse opens it with) and exits, taking initdb's memory with it.
 */
import { openPglite } from './open-pglite.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: init-pgdata-process.ts <pgdata dir>');
const handle = await openPglite(dir);
await handle.close();
