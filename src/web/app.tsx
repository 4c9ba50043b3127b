import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, onSignedOut, type Me } from './api.js';
import { SessionContext, type Session } from './context.js';
import { useLiveFeed } from './live-feed.js';
import { Shell } from './shell.js';
import { SignIn } from './screens/sign-in.js';
import { problemWords } from './words.js';
import { usePath } from './router.js';

const COMMUNITY_KEY = 'xinyi.community';

type State = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'offline'; error: unknown } | { kind: 'signed-in'; me: Me };

/** Asks the API who is signed in; without a valid session every URL shows the sign-in form. */
export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const load = () =>
    api.me().then(
      (me) => setState({ kind: 'signed-in', me }),
      (error: unknown) =>
        setState(error instanceof ApiError && error.status === 401 ? { kind: 'signed-out' } : { kind: 'offline', error }),
    );
  useEffect(() => {
    void load();
    return onSignedOut(() => setState({ kind: 'signed-out' }));
  }, []);

  switch (state.kind) {
    case 'loading':
      return <p class="boot">信义家 加载中…</p>;
    case 'signed-out':
      return <SignIn onSignedIn={() => void load()} />;
    case 'offline':
      return (
        <main class="page narrow">
          <h1>暂时无法连接</h1>
          <p role="alert">{problemWords(state.error)}</p>
          <button type="button" class="button" onClick={() => void load()}>
            重试
          </button>
        </main>
      );
    case 'signed-in':
      return <SignedIn me={state.me} onSignedOut={() => setState({ kind: 'signed-out' })} />;
  }
}

function SignedIn({ me, onSignedOut: signedOut }: { me: Me; onSignedOut: () => void }) {
  const path = usePath();
  // A notice names its community in the URL; everywhere else the last one chosen is kept.
  const fromUrl = /^\/notice\/([^/]+)\//.exec(path)?.[1];
  const [chosen, setChosen] = useState(() => localStorage.getItem(COMMUNITY_KEY) ?? undefined);
  const here = me.communities.find((c) => c.id === (fromUrl ?? chosen)) ?? me.communities[0];
  const feed = useLiveFeed(here?.id);

  const session = useMemo<Session | null>(
    () =>
      here
        ? {
            me,
            here,
            feed,
            switchCommunity(id) {
              localStorage.setItem(COMMUNITY_KEY, id);
              setChosen(id);
            },
            signOut() {
              void api.signOut().finally(signedOut);
            },
          }
        : null,
    [me, here, feed],
  );

  if (!session) {
    return (
      <main class="page narrow">
        <h1>信义家</h1>
        <p>您好，{me.displayName}。您还没有加入任何小区；请联系小区管理员把您添加为成员。</p>
        <button type="button" class="button secondary" onClick={() => void api.signOut().finally(signedOut)}>
          退出登录
        </button>
      </main>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell path={path} />
    </SessionContext.Provider>
  );
}
