import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, canAccessWorkspace } from '../auth/principal.js';
import {
  DEFAULT_WORKSPACE,
  type KnowledgeStore,
  type NewSource,
  type Source,
  type SourceConfig,
  type SourceStats,
} from '../store/store.js';
import { assertSafeGitUrl, isLocalGitLocation, withoutCredentials } from './git-source.js';
import { type SourceCredentials, splitGitCredential } from './source-credentials.js';

export interface SourceInput {
  name: string;
  kind: 'folder' | 'git';
  location: string;
  branch?: string;
  include?: string[];
  exclude?: string[];
  fields?: SourceConfig['fields'];
}

/**
 * Validates and registers a knowledge source; the location must exist (folder) or be a safe URL
 * (git). A git URL's `user:password@` is sealed by `credentials` and stored apart from the URL.
 */
export async function addSource(
  store: KnowledgeStore,
  input: SourceInput,
  workspaceId: string = DEFAULT_WORKSPACE,
  cwd = process.cwd(),
  credentials?: SourceCredentials,
): Promise<Source> {
  if (await store.findSourceByName(input.name, workspaceId)) {
    throw new ConflictError(
      'source_exists',
      `A knowledge source named "${input.name}" already exists`,
      { name: input.name },
    );
  }
  let location = input.location;
  let sealedCredential: string | undefined;
  if (input.kind === 'folder') {
    location = isAbsolute(location) ? location : resolve(cwd, location);
    const info = await stat(location).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new ValidationError(
        'source_location_invalid',
        `Folder ${location} does not exist or is not a folder`,
        {
          location,
        },
      );
    }
  } else {
    assertSafeGitUrl(location);
    // A local repository path is stored absolute so later syncs do not depend on the cwd.
    if (isLocalGitLocation(location)) location = localRepositoryPath(location, cwd);
    const split = splitGitCredential(location);
    if (split.credential) {
      if (!credentials) throw new Error('addSource needs SourceCredentials to store a credential');
      location = split.location;
      sealedCredential = credentials.seal(split.credential);
    }
  }
  const config: SourceConfig = {
    ...(input.include && { include: input.include }),
    ...(input.exclude && { exclude: input.exclude }),
    ...(input.fields && { fields: input.fields }),
    ...(input.branch && { branch: input.branch }),
  };
  const source: NewSource = {
    name: input.name,
    kind: input.kind,
    location,
    config,
    workspaceId,
    ...(sealedCredential !== undefined && { sealedCredential }),
  };
  return store.createSource(source);
}

/**
 * The absolute path of a repository on this machine, from a path or a `file://` URL. A
 * `file://` URL is a local repository (only admins may add one, see `assertPublicGitUrl`): its
 * path is taken as it is, never joined to the working directory; one naming another host is
 * refused.
 */
function localRepositoryPath(location: string, cwd: string): string {
  if (!/^file:/i.test(location)) return resolve(cwd, location);
  try {
    return fileURLToPath(location);
  } catch (error) {
    throw new ValidationError(
      'source_location_invalid',
      `${location} is not a file:// URL of a repository on this machine (${(error as Error).message})`,
      { location },
    );
  }
}

/** A source the principal may reach; another workspace's source is "not found", not "forbidden". */
export async function requireSource(
  store: Pick<KnowledgeStore, 'getSource'>,
  id: string,
  principal: Principal,
): Promise<Source> {
  const source = await store.getSource(id);
  if (!source || !canAccessWorkspace(principal, source.workspaceId))
    throw new NotFoundError('source_not_found', `No knowledge source with id ${id}`, { id });
  return source;
}

/** A source as shown to people and programs: counts added, credentials in its URL left out. */
export async function describeSource(
  store: KnowledgeStore,
  source: Source,
): Promise<Source & SourceStats> {
  return {
    ...source,
    location: withoutCredentials(source.location),
    ...(await store.sourceStats(source.id)),
  };
}

/** Ids of the workspace's sources: what search and retrieval are confined to. */
export async function workspaceSourceIds(
  store: KnowledgeStore,
  workspaceId: string,
): Promise<string[]> {
  return (await store.listSources(workspaceId)).map((source) => source.id);
}
