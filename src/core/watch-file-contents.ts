import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** How long after the last event the files are compared: writers touch a file several times. */
const SETTLE_MS = 100;
/** A safety net for events a file system never sends (network mounts, some container layers). */
const POLL_MS = 5000;

/** What a file holds, as far as a change goes: a digest of its content, or that it cannot be read. */
function fingerprint(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('base64');
  } catch (error) {
    return `unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** The folders whose events can mean `file` changed: its own, and its resolved target's. */
function foldersOf(file: string): string[] {
  const own = dirname(resolve(file));
  try {
    return [own, dirname(realpathSync(file))];
  } catch {
    return [own]; // missing for now (deleted, to be recreated): its folder will say when it is back
  }
}

/**
 * Calls `onChange` with the files whose content changed, however the change was made: written in
 * place, renamed over, deleted and recreated, or reached through a symlink that was flipped (a
 * Kubernetes ConfigMap or Secret volume swaps a `..data` symlink: the event names `..data`, never
 * the file). So it acts on any event in the folders involved, whatever name the event carries,
 * and compares content digests; the folders of symlink targets are followed as they move. A poll
 * every few seconds covers file systems that send no events. Returns a function that stops it.
 */
export function watchFileContents(files: readonly string[], onChange: (changed: string[]) => void): () => void {
  const known = new Map(files.map((file) => [file, fingerprint(file)]));
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;

  const compare = () => {
    const changed: string[] = [];
    for (const [file, before] of known) {
      const now = fingerprint(file);
      if (now === before) continue;
      known.set(file, now);
      changed.push(file);
    }
    follow();
    if (changed.length > 0) onChange(changed);
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(compare, SETTLE_MS);
    timer.unref();
  };
  /** Watches exactly the folders the files involve now (a flipped symlink moves its target). */
  const follow = () => {
    const wanted = new Set(files.flatMap(foldersOf));
    for (const [folder, watcher] of watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      watchers.delete(folder);
    }
    for (const folder of wanted) {
      if (watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, soon);
        watcher.on('error', () => {
          watcher.close(); // its folder was removed (an old `..2026_...` target): the poll carries on
          watchers.delete(folder);
        });
        watcher.unref();
        watchers.set(folder, watcher);
      } catch {
        // a folder that does not exist (yet): the poll looks again
      }
    }
  };

  follow();
  const poll = setInterval(compare, POLL_MS);
  poll.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
