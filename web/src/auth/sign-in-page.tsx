import { type FormEvent, useState } from 'react';
import { messageOf } from '../api/errors';
import { useSession } from './session';
import { FormError } from '../ui/states';

type Mode = 'sign-in' | 'setup' | 'invite';

/**
 * Sign in, first-run setup (the first admin, with the one-time token Keel printed at start), or
 * accepting an invitation (`#/invite/<token>`).
 */
export function SignInPage({ mode: initial, inviteToken }: { mode: Mode; inviteToken?: string }) {
  const session = useSession();
  // A server without /config.json cannot say it needs setup: the sign-in form offers it.
  const [mode, setMode] = useState<Mode>(initial);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [setupToken, setSetupToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const title =
    mode === 'setup' ? 'Set up Keel' : mode === 'invite' ? 'Accept your invitation' : 'Sign in';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'setup') await session.setup(setupToken.trim(), email, password);
      else if (mode === 'invite') await session.acceptInvite(inviteToken ?? '', password);
      else await session.signIn(email, password);
      if (mode === 'invite') window.location.hash = '#/chat';
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form
        className="card"
        onSubmit={(event) => void submit(event)}
        aria-labelledby="sign-in-title"
      >
        <h1 id="sign-in-title">
          <span className="logo" aria-hidden="true">
            ⚓
          </span>{' '}
          {title}
        </h1>
        {mode === 'setup' && (
          <>
            <p className="hint">
              No accounts exist yet. Create the first admin with the one-time setup token Keel
              printed when it started.
            </p>
            <label>
              Setup token
              <input
                name="setupToken"
                autoComplete="off"
                required
                value={setupToken}
                onChange={(event) => setSetupToken(event.target.value)}
              />
            </label>
          </>
        )}
        {mode !== 'invite' && (
          <label>
            E-mail
            <input
              name="email"
              type="email"
              autoComplete="username"
              required
              autoFocus={mode === 'sign-in'}
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </label>
        )}
        <label>
          {mode === 'sign-in' ? 'Password' : 'New password'}
          <input
            name="password"
            type="password"
            autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'sign-in' ? 1 : 10}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <FormError message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'setup' ? 'Create admin and sign in' : title}
        </button>
        {mode !== 'invite' && (
          <button
            type="button"
            className="link-button"
            onClick={() => setMode(mode === 'setup' ? 'sign-in' : 'setup')}
          >
            {mode === 'setup' ? 'I already have an account' : 'First start? Create the first admin'}
          </button>
        )}
      </form>
    </main>
  );
}
