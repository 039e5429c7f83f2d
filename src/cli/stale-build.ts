/**
 * In a git checkout, `npx efficientecg` runs the compiled `dist/`, not `src/`: after a `git pull` without
 * `npm run build` it silently runs the old code (an old build evaluated a model with the wrong beat template and
 * reported other figures). This check warns when a source file is newer than the build; `serve` checks its page
 * bundle (web/dist) the same way. Only a source checkout warns (it has tsconfig.build.json, which `npm run build`
 * needs and the npm package does not carry): an installed package carries `src/` (for its source maps), but npm
 * unpacks it after `dist/`, so its sources always look newer, and its user cannot rebuild it anyway.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A source checkout (a clone, or a package linked to one), not an installed copy: the build's config is there. */
function isSourceCheckout(root: string): boolean {
  return existsSync(join(root, 'tsconfig.build.json'));
}

/** Newest modification time (ms) of the files under `dir` (0 when there is none). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The warning for a build at `builtFile` (a file of dist/cli/) whose package root holds `src/` with a newer file,
 * or null when the build is current, there is no source tree beside it, or the package is installed.
 */
export function staleBuildWarning(builtFile: string): string | null {
  const root = join(dirname(builtFile), '..', '..');
  if (!isSourceCheckout(root)) return null;
  let source: number;
  let built: number;
  try {
    built = statSync(builtFile).mtimeMs;
    source = newestMtime(join(root, 'src'));
  } catch {
    return null; // no source tree (an installed package) or an unreadable one: nothing to compare
  }
  if (source <= built) return null;
  return (
    `efficientecg: warning: src/ has changes newer than this build (${root}/dist); ` +
    'run `npm run build` (or `bash scripts/setup.sh`) to run the current code\n'
  );
}

/**
 * The warning for a page bundle (`<root>/web/dist/app.js`) older than a source it bundles (web/src, and the src/
 * modules it imports: any file of src/ counts), or null when it is current, there are no sources beside it, or the
 * package is installed.
 */
export function staleWebWarning(root: string): string | null {
  if (!isSourceCheckout(root)) return null;
  let source: number;
  let built: number;
  try {
    built = statSync(join(root, 'web', 'dist', 'app.js')).mtimeMs;
    source = Math.max(newestMtime(join(root, 'web', 'src')), newestMtime(join(root, 'src')));
  } catch {
    return null; // no bundle (serve says so) or no sources (an installed package): nothing to compare
  }
  if (source <= built) return null;
  return 'efficientecg serve: warning: the page (web/dist) is older than its sources; run `npm run build:web`\n';
}

/** Warns on stderr when the running CLI is a compiled build older than its source tree. */
export function warnIfStaleBuild(): void {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) return; // run from source (tsx): always current
  const warning = staleBuildWarning(self);
  if (warning !== null) process.stderr.write(warning);
}
