/**
 * xinyi-verify — check a community's books yourself, without trusting the server.
 *
 *   npx xinyi-verify <baseUrl> <communityId> [--token T] [--since saved.checkpoint] [--save saved.checkpoint]
 *   npm run verify -- <baseUrl> <communityId> …
 *
 * What it does, in order (each step prints one line):
 *
 *   1. Fetches the server's public key and the community's latest checkpoint: a short note,
 *      signed with that key, that says "the books have N entries and their Merkle root is R".
 *      It checks the signature and that the note names this community.
 *   2. Downloads every entry. Each entry comes with its leaf: the exact bytes the server hashed
 *      when it wrote the entry. It checks that the leaf says what the page shows (amounts,
 *      accounts, dates, memo…), that SHA-256 of the leaf is the entry's hash, and that every
 *      entry names the hash of the one before it (the hash chain), starting from 64 zeros.
 *   3. Adds up every posting, with exact decimals, and compares each account's balance with
 *      the one the server shows.
 *   4. Rebuilds the Merkle tree from the leaves and compares its root with the signed one.
 *      Now the signature covers every entry you downloaded: change one byte of one entry and
 *      the root differs.
 *   5. With --since, reads the checkpoint you saved last time (say, last month) and asks the
 *      server for a consistency proof: a few hashes showing that today's tree is last month's
 *      tree with entries added at the end, nothing changed, removed or reordered.
 *   6. With --entry <seq> (say, the entry of your own fee payment), shows that entry and checks
 *      the server's inclusion proof: the few hashes that lead from it to the signed root.
 *   7. With --save, keeps today's checkpoint in a file for next time.
 *
 * It exits 0 only when everything holds; 1 when something does not (it says what); 2 when it
 * could not check at all (a network error, a refused token, a bad argument).
 *
 * The only code it shares with the server is the pure, documented hashing and signing rules
 * (src/shared/merkle.ts for RFC 6962 trees, src/shared/signed-note.ts for C2SP signed notes).
 * Everything else is written for this check alone: this file (the steps, in order),
 * verify-options.ts (the command line and the saved checkpoint), verify-checkpoint.ts (steps 1
 * and 4 to 6: the signed checkpoint and what it vouches for), verify-books.ts (steps 2 and 3:
 * the entries, the chain and the balances), ledger-leaf.ts (reading a leaf), verify-hashing.ts
 * (Node's SHA-256), verify-server.ts (the GETs) and verify-report.ts (what it prints).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkBooks } from './verify-books.js';
import { checkCheckpoint, checkSigned } from './verify-checkpoint.js';
import { options, readSaved, saveCheckpoint, USAGE } from './verify-options.js';
import { CannotCheck, complain, failureCount, Mismatch, say, startRun } from './verify-report.js';
import { server } from './verify-server.js';

export async function verify(argv: string[]): Promise<number> {
  startRun();
  const args = options(argv);
  if (!args) {
    say(USAGE);
    return 0;
  }
  const { baseUrl, communityId } = args;
  const api = server(baseUrl, args.token);
  const saved = args.since === undefined ? undefined : readSaved(args.since);
  say(`信义账本 · 独立校验 (xinyi-verify)\n服务器 ${baseUrl}　小区 ${communityId}\n`);

  // Step 1: the published key, and the checkpoint it signs.
  const { key, origin, checkpointText, checkpoint } = await checkCheckpoint(api, communityId, args.key);
  // Steps 2 and 3: the balances at one instant, then every entry.
  const books = await checkBooks(api, communityId, args.entries);
  // Steps 4 to 6 compare the books with the checkpoint, so they need one whose signature held.
  if (checkpoint) await checkSigned(api, communityId, checkpoint, books, { saved, savedName: args.since, entries: args.entries, key, origin });
  else say('  （公证无效：默克尔树、延续与包含证明无从比对）');

  if (failureCount() > 0) {
    say(`\n结论：校验未通过，共 ${failureCount()} 项不一致。请把以上输出交给业委会或监督部门。`);
    return 1;
  }
  // Step 7: only a checkpoint whose books held is worth comparing with next time.
  if (args.save !== undefined) {
    saveCheckpoint(args.save, checkpointText);
    say(`\n已把今天的公证保存到 ${args.save}；下次请用 --since ${args.save} 比对。`);
  }
  say('\n结论：全部校验通过。');
  return 0;
}

/** Runs the check and turns every expected failure into a message and an exit code, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await verify(argv);
  } catch (error) {
    if (error instanceof CannotCheck) {
      complain(`无法完成校验：${error.message}`);
      return 2;
    }
    if (error instanceof Mismatch) {
      complain(`校验未通过：${error.message}`);
      return 1;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      complain(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

/** True when node was started on this very file (npm run verify), not when it is imported. */
function startedAsScript(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// The bin launcher (scripts/xinyi-verify.mjs) imports this file and calls main() itself.
if (startedAsScript()) process.exitCode = await main(process.argv.slice(2));
