/**
 * What the owner asks xinyi-verify for: the command line (`--token`, `--since`, `--save`,
 * `--key`, `--entry`) and the checkpoint file kept between runs. Every bad argument or
 * unreadable file is a `CannotCheck`, which ends the run with exit code 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CannotCheck } from './verify-report.js';

export const USAGE = `用法 (usage): xinyi-verify <服务器地址 baseUrl> <小区编号 communityId> [选项]

  --token <令牌>        登录令牌 (Bearer token)；也可放在环境变量 XINYI_TOKEN 里
  --since <文件>        上次保存的公证 (checkpoint)：证明今天的账本是它的延续
  --save <文件>         校验全部通过后，把今天的公证保存到文件，下次用 --since 比对
  --key <公钥>          您从别处（如公示纸）抄下的公证公钥 (verifier key)，要求服务器的与之相同
  --entry <序号>        显示这一条（如您自己的缴费）并核对它的包含证明 (inclusion proof)；可重复
  -h, --help            显示本说明

退出码 (exit code)：0 全部校验通过；1 有不一致；2 无法完成校验（网络、令牌、参数）。`;

/**
 * Parses the command line; null when the owner asked for help. An unknown option makes
 * parseArgs throw its own ERR_PARSE_ARGS_* error, which main turns into the usage and exit code 2.
 */
export function options(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      token: { type: 'string' },
      since: { type: 'string' },
      save: { type: 'string' },
      key: { type: 'string' },
      entry: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length !== 2) throw new CannotCheck(`需要服务器地址和小区编号两个参数\n\n${USAGE}`);
  const [baseUrl, communityId] = positionals as [string, string];
  if (!/^https?:\/\//.test(baseUrl)) throw new CannotCheck(`服务器地址应以 http:// 或 https:// 开头：${baseUrl}`);
  const entries = (values.entry ?? []).map((text) => {
    if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new CannotCheck(`--entry 应是条目的序号 (seq)，如 5：${text}`);
    return Number(text);
  });
  return { baseUrl, communityId, token: values.token ?? process.env.XINYI_TOKEN, since: values.since, save: values.save, key: values.key, entries };
}

/** The checkpoint saved last time (--since), read before anything is fetched so a wrong path fails fast. */
export function readSaved(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CannotCheck(`读不了保存的公证文件 ${file}（${(error as NodeJS.ErrnoException).code ?? (error as Error).message}）`);
  }
}

/** Keeps today's checkpoint for next time (--save); only called once every check has held. */
export function saveCheckpoint(file: string, checkpointText: string): void {
  try {
    writeFileSync(file, checkpointText);
  } catch (error) {
    throw new CannotCheck(`校验已全部通过，但无法保存公证到 ${file}（${(error as NodeJS.ErrnoException).code ?? (error as Error).message}）`);
  }
}
