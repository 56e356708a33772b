import { ensureDistBuild } from '../scripts/build-dist.js';

/**
 * The CLI tests run `bin/keel.js`, which runs the compiled dist/: compile it first (about a
 * second) when src/ is newer, so they always test the code in the tree.
 */
export default async function setup(): Promise<void> {
  await ensureDistBuild();
}
