import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describeWith } from '../helpers/requirements';

/*
 * The soak under faults, short (60 s): `npm run soak` runs it for 5 minutes. Three real instance
 * processes, a real redis-server, real partner services and key servers (soak/run.js); every fault
 * the issue lists happens once. The script's own checks are asserted one by one, and so is that
 * each fault's effect was seen (a soak whose faults did nothing proves nothing).
 */
interface SoakSummary {
  ok: boolean;
  requests: number;
  accepted: number;
  freshTokens: number;
  replaysRefused: number;
  documented503: Record<string, number>;
  faults: { name: string }[];
  checks: { name: string; value: number; bound: string; ok: boolean }[];
}

describeWith('redis-server', 'the soak under faults (60 s)', () => {
  it('holds every check: no double acceptance, nothing accepted while off, only documented 503s in time, no valid token refused, flat memory and descriptors', async () => {
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(__dirname, '../../soak/run.js'), '--duration', '60', '--json'],
        { timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => (stdout ? resolve(stdout) : reject(error ?? new Error(stderr))),
      ),
    );
    const summary = JSON.parse(output.trim().split('\n').pop()!) as SoakSummary;
    for (const check of summary.checks) expect({ [check.name]: check.ok }).toEqual({ [check.name]: true });
    expect(summary.ok).toBe(true);
    expect(summary.faults.map((f) => f.name)).toHaveLength(9);
    expect(summary.requests).toBeGreaterThan(5000);
    expect(summary.freshTokens).toBeGreaterThan(1000);
    expect(summary.replaysRefused).toBeGreaterThan(100); // the replays the load sends are refused
    expect(summary.documented503.replay_store_unavailable).toBeGreaterThan(0); // Redis was really down
    expect(summary.documented503.key_source_unavailable).toBeGreaterThan(0); // the key source really hung
  }, 180_000);
});
