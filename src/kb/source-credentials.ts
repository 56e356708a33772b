import type { Logger } from 'pino';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { KnowledgeStore, Source } from '../store/store.js';
import type { CredentialCipher } from './credential-cipher.js';
import { type GitCredential, withoutCredentials } from './git-source.js';

const credentialSchema = z.object({ username: z.string(), password: z.string() });

/**
 * Splits the `user:password@` of an http(s) git URL from the URL: the URL is what is stored and
 * shown, the credential is sealed apart. Other transports never use a password from the URL
 * (ssh authenticates with keys), so one there is refused rather than stored.
 *
 * @example
 *   splitGitCredential('https://bot:s3cret@git.example.com/kb.git');
 *   // → { location: 'https://git.example.com/kb.git', credential: { username: 'bot', password: 's3cret' } }
 */
export function splitGitCredential(location: string): {
  location: string;
  credential?: GitCredential;
} {
  const match = /^(https?):\/\/([^/@\s]+)@/i.exec(location.trim());
  if (!match) {
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(location.trim())) {
      throw new ValidationError(
        'git_url_rejected',
        `Git URL ${withoutCredentials(location)} carries a password, which only https:// and http:// sources use`,
        { url: withoutCredentials(location) },
      );
    }
    return { location };
  }
  const [username = '', password = ''] = (match[2] ?? '').split(/:(.*)/s);
  return {
    location: withoutCredentials(location.trim()),
    credential: { username: decodeUserInfo(username), password: decodeUserInfo(password) },
  };
}

function decodeUserInfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Git source credentials at rest: sealed with the credentials key in the source's own column,
 * opened only to hand them to git.
 *
 * @example
 *   const vault = new SourceCredentials(store, cipher);
 *   const credential = await vault.credentialFor(source); // → { username, password } | undefined
 */
export class SourceCredentials {
  constructor(
    private readonly store: KnowledgeStore,
    private readonly cipher: CredentialCipher,
  ) {}

  seal(credential: GitCredential): string {
    return this.cipher.seal(JSON.stringify(credential));
  }

  async credentialFor(source: Source): Promise<GitCredential | undefined> {
    const sealed = await this.store.sourceCredential(source.id);
    if (sealed === undefined) return undefined;
    return credentialSchema.parse(JSON.parse(this.cipher.open(sealed)));
  }

  /**
   * Sources stored before credentials were kept apart still carry them in their URL: moves each
   * into the sealed column, once (a row another process already moved is left alone).
   */
  async sealCredentialsInLocations(logger: Logger): Promise<number> {
    let moved = 0;
    for (const source of await this.store.sourcesWithCredentialsInLocation()) {
      const { location, credential } = splitGitCredential(source.location);
      if (!credential) continue;
      const done = await this.store.moveSourceCredential(source.id, {
        from: source.location,
        location,
        sealedCredential: this.seal(credential),
      });
      if (done) moved += 1;
    }
    if (moved > 0) logger.info({ sources: moved }, 'git source credentials moved out of URLs');
    return moved;
  }
}
