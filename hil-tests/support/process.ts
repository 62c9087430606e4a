// Child processes for peers: start, wait for a ready line, collect output, stop (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';

export interface Peer {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output matches `pattern`, rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

export function startProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Peer {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if (text.length > 1_000_000) text = text.slice(-500_000);
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (e) => {
      text += `\n[spawn error: ${e.message}]`;
      done = true;
      for (const listener of [...listeners]) listener();
      resolve('spawn-error');
    });
    child.once('exit', (code, signal) => {
      done = true;
      for (const listener of [...listeners]) listener();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    exited,
    output: () => text,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) {
            finish();
            resolve(match);
          } else if (done) {
            finish();
            reject(new Error(`${command} exited before printing ${pattern}; output:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms; output:\n${text}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (done) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Runs a program to completion (bounded by `timeoutMs`) and returns its exit code and output. */
export async function runProgram(command: string, args: string[], timeoutMs: number): Promise<{ code: number | string; output: string }> {
  const peer = startProcess(command, args);
  const timer = setTimeout(() => peer.child.kill('SIGKILL'), timeoutMs);
  const code = await peer.exited;
  clearTimeout(timer);
  return { code, output: peer.output() };
}
