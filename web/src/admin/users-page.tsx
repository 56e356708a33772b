import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { Role, User } from '../api/types';
import { useSession } from '../auth/session';
import { DataTable } from '../ui/data-table';
import { formatDate } from '../ui/format';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';

const ROLES: Role[] = ['user', 'manager', 'admin'];

/** Invite users, change roles, disable and enable. */
export function UsersPage() {
  const { me } = useSession();
  const users = useResource((signal) => api<{ users: User[] }>('/v1/users', { signal }), []);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [invite, setInvite] = useState<{ email: string; link: string; expiresAt: string }>();
  const [error, setError] = useState<string>();

  async function sendInvite(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const result = await api<{ user: User; inviteToken: string; expiresAt: string }>(
        '/v1/users/invite',
        {
          method: 'POST',
          body: { email: email.trim(), role },
        },
      );
      const base = `${window.location.origin}${window.location.pathname}`;
      setInvite({
        email: result.user.email,
        link: `${base}#/invite/${encodeURIComponent(result.inviteToken)}`,
        expiresAt: result.expiresAt,
      });
      setEmail('');
      users.reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }
  async function change(user: User, body: { role?: Role; disabled?: boolean }) {
    setError(undefined);
    try {
      await api(`/v1/users/${encodeURIComponent(user.id)}`, { method: 'PATCH', body });
    } catch (failure) {
      setError(messageOf(failure));
    }
    users.reload();
  }

  const roles = me?.role === 'admin' ? ROLES : ROLES.filter((value) => value !== 'admin');
  return (
    <section aria-labelledby="users-title">
      <h3 id="users-title">Users</h3>
      <form className="card form-grid" onSubmit={(event) => void sendInvite(event)}>
        <label className="wide">
          E-mail to invite
          <input
            type="email"
            name="inviteEmail"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label>
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {roles.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Invite
        </button>
      </form>
      {invite && (
        <div className="card secret" role="status">
          <p>
            Send this single-use link to <strong>{invite.email}</strong> (valid until{' '}
            {formatDate(invite.expiresAt)}):
          </p>
          <code className="secret-value">{invite.link}</code>
        </div>
      )}
      <FormError message={error} />
      <Async resource={users} label="Loading users…">
        {(data) =>
          data.users.length === 0 ? (
            <Empty>No users.</Empty>
          ) : (
            <DataTable
              rows={data.users}
              rowKey={(user) => user.id}
              columns={[
                { header: 'User', cell: (user) => user.email },
                {
                  header: 'Role',
                  cell: (user) => (
                    <select
                      aria-label={`Role of ${user.email}`}
                      value={user.role}
                      disabled={user.id === me?.user?.id}
                      onChange={(event) => void change(user, { role: event.target.value as Role })}
                    >
                      {(roles.includes(user.role) ? roles : [...roles, user.role]).map((value) => (
                        <option key={value}>{value}</option>
                      ))}
                    </select>
                  ),
                },
                { header: 'Last sign-in', cell: (user) => formatDate(user.lastLoginAt) },
                {
                  header: 'Status',
                  className: 'actions',
                  cell: (user) => (
                    <>
                      {/* The state itself, not only the button that flips it. */}
                      {user.disabledAt ? (
                        <span className="badge state-cancelled">disabled</span>
                      ) : (
                        <span className="badge state-completed">active</span>
                      )}{' '}
                      <button
                        type="button"
                        className={user.disabledAt ? '' : 'danger'}
                        disabled={user.id === me?.user?.id}
                        onClick={() => void change(user, { disabled: !user.disabledAt })}
                        aria-label={`${user.disabledAt ? 'Enable' : 'Disable'} ${user.email}`}
                      >
                        {user.disabledAt ? 'Enable' : 'Disable'}
                      </button>
                    </>
                  ),
                },
              ]}
            />
          )
        }
      </Async>
    </section>
  );
}
