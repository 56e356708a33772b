import type { ReactNode } from 'react';

/** Runs `action` only when the person says yes to `question`; `ask` is the browser's dialog. */
export function confirmThen(
  question: string,
  action: () => unknown,
  ask: (question: string) => boolean = (text) => window.confirm(text),
): boolean {
  if (!ask(question)) return false;
  void action();
  return true;
}

/**
 * A button for an action that cannot be undone (revoke a key, delete a conversation): it asks
 * `question` first and does nothing on "Cancel".
 *
 * @example
 *   <ConfirmButton question={`Revoke the key "${key.name}"?`} onConfirm={() => revoke(key)}
 *     label={`Revoke key ${key.name}`}>Revoke</ConfirmButton>
 */
export function ConfirmButton({
  question,
  onConfirm,
  label,
  className = 'danger',
  children,
}: {
  question: string;
  onConfirm: () => unknown;
  /** The accessible name, naming what the action applies to. */
  label: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={className}
      aria-label={label}
      onClick={() => confirmThen(question, onConfirm)}
    >
      {children}
    </button>
  );
}
