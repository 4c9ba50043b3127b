import { api, createCommunity, login, type BenchCommunity } from '../support/api.js';
import { envNumber, equal, fixed2, PgStatWindow, pooled, printChecks, reportProfiles, stackOptions, truth, type Check, type Log, type PartOutcome } from '../support/common.js';
import { drive, isOk, statusSummary, type Outcome } from '../support/driver.js';
import { quantile } from '../support/stats.js';
import { startStack, type Stack } from '../support/stack.js';
import { Money } from '../../src/shared/money.js';

/**
 * Part 4, several API processes on one database (`npm run bench:processes`): for each count in
 * BENCH_PROCESS_COUNTS (1,2,4), that many `src/server.ts` processes (as `npm start` runs them,
 * the same DATABASE_URL, each on its own port) take the same income load for
 * BENCH_PROCESSES_SECONDS (6): BENCH_PROCESSES_CONNECTIONS (64) keep-alive connections, half on
 * one hot community and half spread over BENCH_PROCESSES_COMMUNITIES (32) others, the
 * connections dealt round robin over the processes (so the hot community is written by every
 * process at once). Each count gets fresh communities; afterwards each community's fund must
 * hold 1.23 x its 2xx, its ledger head's seq must equal its 2xx (no posting lost or doubled)
 * and /ledger/verify must be ok.
 *
 * On this 2-core machine more processes share the same two cores with PostgreSQL and the load
 * generator: the figures say whether the service stays correct and what a process costs,
 * not how it would scale on more cores.
 */
const COUNTS = (process.env.BENCH_PROCESS_COUNTS ?? '1,2,4').split(',').map((n) => Number(n.trim())).filter((n) => Number.isInteger(n) && n > 0);
const SECONDS = envNumber('BENCH_PROCESSES_SECONDS', 6);
const CONNECTIONS = Math.max(2, Math.round(envNumber('BENCH_PROCESSES_CONNECTIONS', 64)));
const SPREAD = envNumber('BENCH_PROCESSES_COMMUNITIES', 32);
const AMOUNT = '1.23';

interface Round {
  processes: number;
  hotId: string;
  outcomes: Outcome[];
  seconds: number;
  checks: Check[];
}

export async function runProcesses(log: Log): Promise<PartOutcome> {
  log(`API processes ${COUNTS.join(', ')}; ${CONNECTIONS} connections (half on one hot community, half over ${SPREAD} others) x ${SECONDS} s each`);
  const stack = await startStack(log, stackOptions('processes', { servers: COUNTS[0] ?? 1 }));
  try {
    const rounds: Round[] = [];
    for (const count of COUNTS) {
      if (stack.baseUrls.length !== count) await stack.restartServers(count);
      rounds.push(await measure(stack, count, log));
    }
    return report(rounds);
  } finally {
    await stack.close();
    reportProfiles('processes', log);
  }
}

async function measure(stack: Stack, processes: number, log: Log): Promise<Round> {
  const adminToken = await login(stack.baseUrl, 'admin', stack.adminPassword);
  const communities: BenchCommunity[] = await pooled(Array.from({ length: SPREAD + 1 }, (_, i) => i), 8, (i) =>
    createCommunity(stack.baseUrl, adminToken, `${processes} processes ${i === 0 ? 'hot' : i}`, true),
  );
  const [hot, ...spread] = communities as [BenchCommunity, ...BenchCommunity[]];
  const body = { category: 'parking', amount: AMOUNT, payer: 'Bench processes' };
  // Connection j: the even ones on the hot community, the odd ones spread; pair j/2 on server
  // (j/2) mod N, so that both halves reach every process.
  const target = (j: number) => (j % 2 === 0 ? hot : spread[Math.floor(j / 2) % spread.length]!);
  log(`${processes} process${processes > 1 ? 'es' : ''}: driving ${CONNECTIONS} connections for ${SECONDS} s`);
  const pgStat = new PgStatWindow(stack.databaseUrl, stack.pgStatStatements);
  await pgStat.begin();
  const result = await drive({
    connections: CONNECTIONS,
    seconds: SECONDS,
    next: (j) => {
      const c = target(j);
      return { method: 'POST', url: `${stack.baseUrls[Math.floor(j / 2) % processes]}/v1/communities/${c.id}/income`, token: c.managerToken!, body, tag: c.id };
    },
  });
  await pgStat.end();
  pgStat.print(log, `the load on ${processes} process${processes > 1 ? 'es' : ''}`);

  const acknowledged = new Map<string, number>();
  for (const o of result.outcomes.filter(isOk)) acknowledged.set(o.tag as string, (acknowledged.get(o.tag as string) ?? 0) + 1);
  const wrong: string[] = [];
  await pooled(communities, 8, async (c) => {
    const n = acknowledged.get(c.id) ?? 0;
    // Read through the last process: any process answers for any community.
    const call = api(stack.baseUrls[stack.baseUrls.length - 1]!, c.managerToken);
    const fund = await call<{ balance: string; ledgerHead: { seq: number } }>('GET', `/v1/communities/${c.id}/fund`);
    const verify = await call<{ ok: boolean; entries: number; problems: string[] }>('GET', `/v1/communities/${c.id}/ledger/verify`);
    const expected = fixed2(new Money(AMOUNT).times(n));
    if (fund.balance !== expected || fund.ledgerHead.seq !== n || verify.entries !== n || !verify.ok) {
      wrong.push(`${c === hot ? 'hot' : c.id}: ${n} x 2xx, balance ${fund.balance} (expected ${expected}), head seq ${fund.ledgerHead.seq}, verify ${verify.ok ? 'ok' : verify.problems.slice(0, 2).join('; ')} over ${verify.entries} entries`);
    }
  });
  const checks = [
    equal('non-2xx answers', result.outcomes.filter((o) => !isOk(o)).length, 0),
    truth(`every community (hot + ${SPREAD}): fund = ${AMOUNT} x 2xx, head seq = entries = 2xx (none lost, none doubled), /ledger/verify ok`, wrong.length === 0, wrong.length === 0 ? `${communities.length} of ${communities.length}` : `${wrong.length} wrong: ${wrong.slice(0, 3).join(' | ')}`),
  ];
  return { processes, hotId: hot.id, outcomes: result.outcomes, seconds: result.seconds, checks };
}

function report(rounds: Round[]): PartOutcome {
  const rows = rounds.map((r) => {
    const ok = r.outcomes.filter(isOk);
    const hotOk = ok.filter((o) => o.tag === r.hotId).length;
    const times = ok.map((o) => o.ms);
    const booksOk = r.checks.every((c) => c.ok);
    return {
      line: `${String(r.processes).padStart(9)} ${String(ok.length).padStart(7)} ${(ok.length / r.seconds).toFixed(1).padStart(9)}/s ${quantile(times, 0.5).toFixed(1).padStart(8)} ${quantile(times, 0.99).toFixed(1).padStart(8)} ${String(r.outcomes.length - ok.length).padStart(8)}   ${booksOk ? 'exact' : 'WRONG'}   (hot ${(hotOk / r.seconds).toFixed(1)}/s, spread ${((ok.length - hotOk) / r.seconds).toFixed(1)}/s)`,
      non2xx: r.outcomes.length > ok.length ? `    ${r.processes} processes: ${statusSummary(r.outcomes)}` : undefined,
      booksOk,
    };
  });
  const booksOk = rows.every((r) => r.booksOk);
  const summary = [
    `POST /income, ${CONNECTIONS} connections dealt round robin over the processes: half on one hot community, half over ${SPREAD} others; ms for 2xx`,
    `processes     2xx      rate      p50      p99  non-2xx   books`,
    ...rows.map((r) => r.line),
    ...rows.flatMap((r) => (r.non2xx ? [r.non2xx] : [])),
    `BOOKS  ${booksOk ? 'PASS' : 'FAIL'}  with every process count: no posting lost or doubled, every chain verifies`,
  ];
  const details = rounds.flatMap((r) => [`  ${r.processes} process(es):`, ...printChecks(r.checks).map((l) => `  ${l}`)]);
  console.log(['', ...details, '', ...summary, ''].join('\n'));
  return { booksOk, summary };
}
