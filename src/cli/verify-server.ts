/**
 * How xinyi-verify talks to the server: plain GETs, JSON or text, every failure said in words
 * (a `CannotCheck`, which ends the run with exit code 2).
 */
import { CannotCheck } from './verify-report.js';


// The shapes of the answers are written out here rather than imported from the server's
// schemas: the verifier takes nothing of the server's on trust, its types included.
export interface EntryJson {
  seq: number;
  id: string;
  occurredAt: string;
  recordedAt: string;
  kind: string;
  memo: string;
  source: { type: string; id: string } | null;
  reverses: string | null;
  postings: { account: string; debit: string; credit: string }[];
  prevHash: string;
  hash: string;
  leaf: string;
  leafIndex?: number;
}
export interface AccountJson {
  code: string;
  name: string;
  type: 'asset' | 'liability' | 'equity' | 'income' | 'expense';
  balance: string;
}

export function server(baseUrl: string, token: string | undefined) {
  async function get(path: string, accept: string): Promise<Response> {
    const url = new URL(path, baseUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CannotCheck(`无法连接服务器 ${url.origin}（${why}）`);
    }
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      let detail = '';
      try {
        detail = (JSON.parse(body) as { detail?: string }).detail ?? '';
      } catch {
        // Not a problem body: the status alone says enough.
      }
      const hint =
        response.status === 401 ? '：令牌无效或已过期，请用 --token 提供有效的登录令牌' :
        response.status === 404 && url.pathname.startsWith('/v1/communities/') ? '：没有这个小区，或您不是它的成员' :
        response.status === 404 ? '：服务器没有这个接口，可能不支持可验证账本' : '';
      throw new CannotCheck(`服务器对 GET ${url.pathname} 答复 ${response.status}${hint}${detail ? `（${detail}）` : ''}`);
    }
    return response;
  }
  return {
    text: async (path: string) => (await get(path, 'text/plain')).text(),
    json: async <T>(path: string) => {
      const response = await get(path, 'application/json');
      try {
        return (await response.json()) as T;
      } catch {
        throw new CannotCheck(`服务器对 GET ${path} 的答复不是 JSON`);
      }
    },
  };
}

export type Server = ReturnType<typeof server>;
