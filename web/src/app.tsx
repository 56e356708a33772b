import { useState } from 'react';
import { AdminPage } from './admin/admin-page';
import { messageOf } from './api/errors';
import { SignInPage } from './auth/sign-in-page';
import { useSession } from './auth/session';
import { ChatPage } from './chat/chat-page';
import { JobsPage } from './jobs/jobs-page';
import { KnowledgePage } from './knowledge/knowledge-page';
import { MemoryPage } from './memory/memory-page';
import { UsagePage } from './usage/usage-page';
import { href, useRoute } from './ui/router';
import { ErrorState, Loading } from './ui/states';

const SECTIONS = [
  { id: 'chat', label: 'Chat' },
  { id: 'knowledge', label: 'Knowledge' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'usage', label: 'Usage' },
  { id: 'memory', label: 'Memory' },
  { id: 'admin', label: 'Admin' },
] as const;

/** The shell: sign-in gate, navigation, and the screen the hash route names. */
export function App() {
  const session = useSession();
  const [section = 'chat', detail] = useRoute();
  const [signOutError, setSignOutError] = useState<string>();

  if (session.status === 'loading')
    return (
      <main className="center">
        <Loading label="Starting Keel…" />
      </main>
    );
  if (session.status === 'unreachable')
    return (
      <main className="center">
        <ErrorState error={session.error} onRetry={session.retry} />
      </main>
    );
  if (section === 'invite' && detail && session.status !== 'ready')
    return <SignInPage key="invite" mode="invite" inviteToken={detail} />;
  if (session.status === 'setup') return <SignInPage key="setup" mode="setup" />;
  // Keyed by mode: each form starts empty rather than inheriting the other's state.
  if (session.status === 'signed-out') return <SignInPage key="sign-in" mode="sign-in" />;

  const who =
    session.me?.user?.email ?? (session.me?.via === 'local' ? 'local user' : session.me?.role);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={href('chat')} aria-label="Keel home">
          <span aria-hidden="true">⚓</span> Keel
        </a>
        <nav aria-label="Main" className="main-nav">
          {SECTIONS.map((item) => (
            <a
              key={item.id}
              href={href(item.id)}
              aria-current={item.id === section ? 'page' : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div className="account">
          <span className="hint who" title={session.me?.role}>
            {who}
          </span>
          {session.me?.via === 'user' && (
            <button
              type="button"
              onClick={() => {
                setSignOutError(undefined);
                session
                  .signOut()
                  .catch((failure: unknown) =>
                    setSignOutError(`Not signed out: ${messageOf(failure)}. Try again.`),
                  );
              }}
            >
              Sign out
            </button>
          )}
        </div>
      </header>
      {signOutError && (
        <p className="form-error banner" role="alert">
          {signOutError}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        {section === 'knowledge' ? (
          <KnowledgePage />
        ) : section === 'jobs' ? (
          <JobsPage />
        ) : section === 'usage' ? (
          <UsagePage />
        ) : section === 'memory' ? (
          <MemoryPage />
        ) : section === 'admin' ? (
          <AdminPage me={session.me} tab={detail} />
        ) : (
          <ChatPage conversationId={section === 'chat' ? detail : undefined} />
        )}
      </main>
    </div>
  );
}
