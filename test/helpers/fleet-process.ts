import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** One fleet instance process (soak/instance.js, the built package). */
export interface Instance {
  base: string;
  /** Whether the process is still running (no instance may die of what Redis holds). */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts an instance with `options` (see soak/instance.js) and resolves once it listens. */
export function startInstance(options: object): Promise<Instance> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(__dirname, '../../soak/instance.js'), JSON.stringify(options)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d) => {
      const { port } = JSON.parse(d.toString());
      resolve({
        base: `http://127.0.0.1:${port}`,
        alive: () => child.exitCode === null && child.signalCode === null,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}: ${stderr.slice(0, 1000)}`)));
  });
}

/** GET /whoami with a token: status and code. Bounded: one request. */
export async function call(instance: Instance, token: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${instance.base}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json().catch(() => ({}))) as { code?: string };
  return { status: res.status, ...(body.code && { code: body.code }) };
}
