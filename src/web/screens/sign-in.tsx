import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { problemWords } from '../words.js';

/**
 * The sign-in form the contract names: 用户名, 密码, 登录; Enter submits. It posts to the
 * app's own /sign-in, which sets the session cookie; without scripts the same form posts
 * as an ordinary form.
 */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(() =>
    new URLSearchParams(location.search).get('signin') === 'failed' ? '用户名或密码不正确。' : undefined,
  );
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error) summary.current?.focus();
  }, [error]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const username = String(form.get('username') ?? '').trim();
    const password = String(form.get('password') ?? '');
    if (!username || !password) {
      setError(!username ? '请输入用户名。' : '请输入密码。');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api.signIn(username, password);
      onSignedIn();
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 401 ? '用户名或密码不正确。' : problemWords(caught));
      setBusy(false);
    }
  };

  return (
    <main class="page narrow sign-in">
      <div class="sign-in-brand">
        <div class="logo" aria-hidden="true">
          信
        </div>
        <h1>信义家</h1>
        <p class="tagline">小区资金公开透明，每一笔都看得见</p>
      </div>
      {error ? (
        <div class="error-summary" role="alert" tabIndex={-1} ref={summary}>
          <h2>无法登录</h2>
          <p>{error}</p>
        </div>
      ) : null}
      <form method="post" action="/sign-in" onSubmit={submit} class="card form">
        <div class="field">
          <label for="username">用户名</label>
          <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck={false} required />
        </div>
        <div class="field">
          <label for="password">密码</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="button wide" disabled={busy}>
          {busy ? '正在登录…' : '登录'}
        </button>
      </form>
      <p class="small muted">账号由小区管理员开通。忘记密码请联系物业管家或业委会。</p>
    </main>
  );
}
