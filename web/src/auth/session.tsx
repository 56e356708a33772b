import { type ReactNode, createContext, useCallback, useContext, useEffect, useState } from 'react';
import { acceptTokens, api, configureApi, forgetTokens, refreshSession } from '../api/client';
import { type AppConfig, loadConfig } from '../api/config';
import { ApiError } from '../api/errors';
import type { Me } from '../api/types';

export type SessionStatus = 'loading' | 'signed-out' | 'setup' | 'ready' | 'unreachable';

export interface Session {
  status: SessionStatus;
  config: AppConfig | undefined;
  me: Me | undefined;
  error: unknown;
  signIn(email: string, password: string): Promise<void>;
  setup(setupToken: string, email: string, password: string): Promise<void>;
  acceptInvite(token: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionProvider>');
  return session;
}

/**
 * Who is signed in. On load the refresh cookie is traded for an access token (kept in memory);
 * with sign-in off (`KEEL_AUTH=off`) the local user needs none.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionStatus>('loading');
  const [config, setConfig] = useState<AppConfig>();
  const [me, setMe] = useState<Me>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);

  const enter = useCallback(async () => {
    setMe(await api<Me>('/v1/me'));
    setStatus('ready');
  }, []);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      setStatus('loading');
      const loaded = await loadConfig();
      if (cancelled) return;
      setConfig(loaded);
      configureApi({ origin: loaded.apiOrigin, onSessionLost: () => setStatus('signed-out') });
      try {
        // A session cookie wins over a (possibly stale) "setup required".
        if (loaded.authEnabled === false || (await refreshSession())) return await enter();
        if (loaded.setupRequired) return setStatus('setup');
        if (loaded.authEnabled === null) {
          // No /config.json: if /v1/me answers without a token, sign-in is off.
          return await enter().catch(() => setStatus('signed-out'));
        }
        setStatus('signed-out');
      } catch (failure) {
        if (cancelled) return;
        setError(failure);
        setStatus('unreachable');
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [attempt, enter]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      acceptTokens(await api('/v1/auth/login', { method: 'POST', body: { email, password } }));
      await enter();
    },
    [enter],
  );

  const setup = useCallback(
    async (setupToken: string, email: string, password: string) => {
      await api('/v1/auth/setup', { method: 'POST', body: { setupToken, email, password } });
      setConfig((current) => current && { ...current, setupRequired: false });
      await signIn(email, password);
    },
    [signIn],
  );

  const acceptInvite = useCallback(
    async (token: string, password: string) => {
      acceptTokens(
        await api('/v1/auth/accept-invite', { method: 'POST', body: { token, password } }),
      );
      await enter();
    },
    [enter],
  );

  const signOut = useCallback(async () => {
    try {
      await api('/v1/auth/logout', { method: 'POST' });
    } catch (failure) {
      // Unreachable or failing server: the httpOnly refresh cookie is still valid and only the
      // server can end it, so showing the sign-in form would be a lie (a reload signs back in).
      // A 4xx means the session is already over on the server: forgetting it locally is right.
      if (!(failure instanceof ApiError) || failure.status === 0 || failure.status >= 500)
        throw failure;
    }
    forgetTokens();
    setMe(undefined);
    setStatus('signed-out');
  }, []);

  const retry = useCallback(() => setAttempt((value) => value + 1), []);

  return (
    <SessionContext.Provider
      value={{ status, config, me, error, signIn, setup, acceptInvite, signOut, retry }}
    >
      {children}
    </SessionContext.Provider>
  );
}

/** Role checks for showing controls; the server checks again on every call. */
export function atLeast(me: Me | undefined, role: 'manager' | 'admin'): boolean {
  if (!me) return false;
  return role === 'manager' ? me.role !== 'user' : me.role === 'admin';
}
