import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { formatCheckpoint, formatSignedNote, formatVerifierKey, ed25519KeyId, signatureLine, type Checkpoint } from '../../src/shared/signed-note.js';
import { PROJECT_ROOT } from './server-process.js';

/** What a run of the verifier printed and how it ended. */
export interface VerifierRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs xinyi-verify as an owner would: through the package's bin launcher (or `npx`), in a
 * child process, with the given arguments.
 */
export function runVerifier(args: string[], options: { via?: 'bin' | 'npx'; env?: Record<string, string> } = {}): Promise<VerifierRun> {
  const [command, prefix] =
    options.via === 'npx' ? ['npx', ['--offline', '--no-install', 'xinyi-verify']] : [process.execPath, [path.join(PROJECT_ROOT, 'scripts/xinyi-verify.mjs')]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An Ed25519 key of the test's own, to sign checkpoints the server never signed. */
export function testSigner(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    vkey: formatVerifierKey(name, raw),
    sign: (checkpoint: Checkpoint) => signCheckpoint(checkpoint, name, raw, privateKey),
  };
}

function rawPublicKey(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url'));
}

function signCheckpoint(checkpoint: Checkpoint, name: string, publicKey: Uint8Array, privateKey: KeyObject): string {
  const text = formatCheckpoint(checkpoint);
  const signature = new Uint8Array(sign(null, Buffer.from(text, 'utf8'), privateKey));
  return formatSignedNote(text, [signatureLine(name, ed25519KeyId(name, publicKey), signature)]);
}

/**
 * A man in the middle for fault injection: forwards every request to the real server and lets
 * the test rewrite a response's body on its way back (one entry's amount, say). The verifier
 * talks to it as to any server; the server under test is untouched.
 */
export async function tamperingProxy(upstream: string, rewrite: (path: string, body: string) => string) {
  const server = http.createServer((request, response) => {
    void (async () => {
      try {
        const answer = await fetch(upstream + request.url, {
          headers: { ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}), accept: request.headers.accept ?? '*/*' },
        });
        const body = rewrite(request.url ?? '/', await answer.text());
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        response.end(body);
      } catch (error) {
        response.writeHead(502).end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
