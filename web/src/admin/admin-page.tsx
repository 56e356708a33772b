import type { Me } from '../api/types';
import { atLeast } from '../auth/session';
import { href } from '../ui/router';
import { ApiKeysPage } from './api-keys-page';
import { AuditPage } from './audit-page';
import { PoliciesPage } from './policies-page';
import { UsersPage } from './users-page';

const TABS = [
  { id: 'users', label: 'Users', role: 'manager' },
  { id: 'keys', label: 'API keys', role: null },
  { id: 'policies', label: 'Policies', role: null },
  { id: 'audit', label: 'Audit log', role: 'manager' },
] as const;

/** Admin: users, API keys, policies and the audit log (tabs shown by role). */
export function AdminPage({ me, tab }: { me: Me | undefined; tab: string | undefined }) {
  const tabs = TABS.filter((candidate) => candidate.role === null || atLeast(me, candidate.role));
  const current = tabs.find((candidate) => candidate.id === tab) ?? tabs[0];
  return (
    <div className="page">
      <h2>Admin</h2>
      <nav className="tabs" aria-label="Admin sections">
        {tabs.map((candidate) => (
          <a
            key={candidate.id}
            href={href('admin', candidate.id)}
            aria-current={candidate === current ? 'page' : undefined}
          >
            {candidate.label}
          </a>
        ))}
      </nav>
      {current?.id === 'users' && <UsersPage />}
      {current?.id === 'keys' && <ApiKeysPage />}
      {current?.id === 'policies' && <PoliciesPage />}
      {current?.id === 'audit' && <AuditPage />}
    </div>
  );
}
