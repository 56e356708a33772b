import type { ReactNode } from 'react';
import { messageOf } from '../api/errors';

/** The three states every screen shows instead of a blank area. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>{messageOf(error)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A form's or an action's failure, announced; nothing when there is none. */
export function FormError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** Loading / error / content in one place, for a `useResource` result. */
export function Async<T>({
  resource,
  children,
  label,
}: {
  resource: { data: T | undefined; error: unknown; loading: boolean; reload: () => void };
  children: (data: T) => ReactNode;
  label?: string;
}) {
  if (resource.error !== undefined && resource.data === undefined)
    return <ErrorState error={resource.error} onRetry={resource.reload} />;
  if (resource.data === undefined) return <Loading label={label} />;
  return (
    <>
      {resource.error !== undefined && (
        <ErrorState error={resource.error} onRetry={resource.reload} />
      )}
      {children(resource.data)}
    </>
  );
}
