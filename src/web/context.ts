import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, Membership } from './api.js';
import type { LiveFeed } from './live-feed.js';

export interface Session {
  me: Me;
  /** The community being looked at, with my roles and units in it. */
  here: Membership;
  feed: LiveFeed;
  switchCommunity(id: string): void;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the signed-in app');
  return session;
}

export const hasRole = (here: Membership, ...roles: string[]) => roles.some((role) => here.roles.includes(role as never));

/** The community a tracking number names (XY-/BX-<year>-<community number>-<seq>), or the one being looked at. */
export function communityOf(session: Pick<Session, 'me' | 'here'>, trackingNo: string): Membership {
  const number = Number(/^[A-Z]+-\d{4}-(\d+)-/.exec(trackingNo)?.[1]);
  return session.me.communities.find((c) => c.number === number) ?? session.here;
}
