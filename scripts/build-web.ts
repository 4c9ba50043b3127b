import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

/**
 * Builds 信义家 (src/web) with Vite into dist/web, then writes .br and .gz next to every
 * text asset so the server sends them precompressed. `--if-stale` skips the build when the
 * sources, this script and the locked dependencies hash to what the last build recorded, so
 * `npm start` and the tests rebuild only after a change.
 */
export const ROOT = path.resolve(import.meta.dirname, '..');
export const WEB_SOURCE = path.join(ROOT, 'src/web');
export const WEB_OUT = path.join(ROOT, 'dist/web');
/**
 * The server's shared code the web app bundles (yuan.ts, feed-types.ts, merkle.ts,
 * signed-note.ts...): all of src/shared counts, so a change to any of it rebuilds the app.
 */
export const WEB_SHARED_DIR = path.join(ROOT, 'src/shared');
const STAMP = path.join(WEB_OUT, '.build-stamp');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}

/** A hash of everything the build reads: a changed file, or a new dependency, makes it stale. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const inputs = [...filesUnder(WEB_SOURCE), ...filesUnder(WEB_SHARED_DIR), path.join(ROOT, 'scripts/build-web.ts'), path.join(ROOT, 'package-lock.json')];
  for (const file of inputs) {
    if (!existsSync(file)) continue;
    hash.update(path.relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

export function isBuildFresh(): boolean {
  return existsSync(path.join(WEB_OUT, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === sourceHash();
}

export async function buildWeb(): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: WEB_SOURCE,
    base: '/',
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: WEB_OUT,
      emptyOutDir: true,
      target: 'es2022',
      assetsDir: 'assets',
      // Scripts only from files: the Content-Security-Policy allows no inline script.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      reportCompressedSize: false,
    },
  });
  precompress(WEB_OUT);
  writeFileSync(STAMP, `${sourceHash()}\n`);
}

function precompress(dir: string): void {
  for (const file of filesUnder(dir)) {
    if (!/\.(js|css|html|svg|json|txt)$/.test(file) || statSync(file).size < 256) continue;
    const bytes = readFileSync(file);
    writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }));
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  }
}

async function main(): Promise<void> {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && isBuildFresh()) return;
  try {
    await import('vite');
  } catch {
    // `npm ci --omit=dev` has no Vite: a build made earlier (e.g. in a Docker build stage) is kept.
    if (existsSync(path.join(WEB_OUT, 'index.html'))) {
      console.warn('build-web: Vite is not installed; serving the web app built earlier in dist/web');
      return;
    }
    console.error('build-web: Vite is not installed (dev dependency) and dist/web has no build: run `npm ci` with dev dependencies');
    process.exit(1);
  }
  const started = Date.now();
  await buildWeb();
  console.log(`build-web: 信义家 built into dist/web in ${Date.now() - started} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();
