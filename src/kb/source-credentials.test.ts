import { describe, expect, it } from 'vitest';
import { splitGitCredential } from './source-credentials.js';

describe('splitGitCredential', () => {
  it('takes user and password out of an http(s) URL, decoded', () => {
    expect(splitGitCredential('https://bot:p%40ss%3Aword@git.example.com/kb.git')).toEqual({
      location: 'https://git.example.com/kb.git',
      credential: { username: 'bot', password: 'p@ss:word' },
    });
    expect(splitGitCredential('https://ghp_token@github.com/acme/kb')).toEqual({
      location: 'https://github.com/acme/kb',
      credential: { username: 'ghp_token', password: '' },
    });
  });

  it('leaves URLs without a credential, ssh users and local paths as they are', () => {
    for (const location of [
      'https://github.com/acme/kb.git',
      'https://example.com/docs/@scope/kb.git',
      'ssh://git@github.com/acme/kb.git',
      'git@github.com:acme/kb.git',
      '/srv/git/kb',
    ]) {
      expect(splitGitCredential(location)).toEqual({ location });
    }
  });

  it('refuses a password in a URL of a transport that never uses one', () => {
    expect(() => splitGitCredential('ssh://git:hunter2@example.com/kb.git')).toThrow(
      expect.objectContaining({
        code: 'git_url_rejected',
        message: expect.not.stringContaining('hunter2'),
      }),
    );
  });
});
