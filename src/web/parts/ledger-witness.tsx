import { useEffect } from 'preact/hooks';
import { useSession } from '../context.js';
import { useLoad } from '../hooks.js';

/**
 * Under the 账本校验通过 badge: this browser's own check that the server's signed books extend
 * the ones it saw last time (see witness.ts). Quiet when they do; a red alert when they do not.
 * The checker is loaded on demand, off the first screen's path.
 */
export function LedgerWitness() {
  const { here, feed } = useSession();
  const seen = useLoad(async () => (await import('../witness.js')).witness(here.id), [here.id]);
  // New entries are signed into a checkpoint within seconds; look again after each.
  useEffect(() => {
    if (feed.version === 0) return;
    const timer = setTimeout(seen.reload, 3_000);
    return () => clearTimeout(timer);
  }, [feed.version]);

  const result = seen.data;
  if (!result || result.state === 'unknown') return null;
  if (result.state === 'warning') {
    return (
      <div class="alarm" role="alert" data-testid="witness-warning">
        <p>⚠ 账本公证异常：{result.reason}</p>
        <p class="small">本机保存的上一次公证没有被覆盖。请截图保存此页，并联系业委会或街道核实。</p>
      </div>
    );
  }
  return (
    <p class="small muted" role="status" data-testid="witness-ok" title={`${result.origin} · ${result.size}`}>
      账本已公证 · 第 {result.size} 条{result.previousSize !== null && result.previousSize < result.size ? ` · 与您上次看到的第 ${result.previousSize} 条一致延续` : ''}
    </p>
  );
}
