// Where the shared fixtures live (never copied into the repo): ../shared/fixtures from the
// repository root, or $CONVSCOPE_FIXTURES.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesDir = process.env['CONVSCOPE_FIXTURES'] ?? resolve(repoRoot, '../shared/fixtures');
export const haveFixtures = existsSync(join(fixturesDir, 'MANIFEST.tsv'));

/** Absolute path of a file under the fixtures folder. */
export function fixture(...parts: string[]): string {
  return join(fixturesDir, ...parts);
}
