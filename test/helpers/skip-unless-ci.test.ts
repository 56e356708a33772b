import { describe, expect, it } from 'vitest';
import { findPostgresBin } from './private-services.js';
import { skipUnlessCi } from './skip-unless-ci.js';

describe('test dependencies in CI', () => {
  it('fails with one clear line instead of skipping when CI is set', () => {
    expect(() => skipUnlessCi(false, 'Chromium at /usr/bin/chromium', { CI: 'true' })).toThrow(
      /CI is set but Chromium at \/usr\/bin\/chromium is missing/,
    );
    expect(skipUnlessCi(true, 'Chromium', { CI: 'true' })).toBe(false);
    expect(skipUnlessCi(false, 'Chromium', {})).toBe(true);
  });

  it('finds the installed PostgreSQL binaries whatever the version', () => {
    expect(findPostgresBin({ KEEL_TEST_POSTGRES_BIN: '/opt/pg/bin' })).toBe('/opt/pg/bin');
    const found = findPostgresBin({});
    expect(found).toMatch(/postgresql\/\d+\/bin$|\/bin$/);
  });
});

describe('.ci/run', () => {
  it('exports CI so the suites above fail rather than skip', async () => {
    const { readFile } = await import('node:fs/promises');
    expect(await readFile('.ci/run', 'utf8')).toMatch(/^export CI=true$/m);
  });
});
