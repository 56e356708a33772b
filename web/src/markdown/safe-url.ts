/**
 * The only link targets an answer may carry: absolute http(s) and mailto. Anything else —
 * `javascript:`, `data:`, relative paths that would act on this app — is shown as plain text.
 */
export function safeLinkHref(href: string): string | undefined {
  const trimmed = href.trim();
  if (/^mailto:[^\s]+$/i.test(trimmed)) return trimmed;
  try {
    const url = new URL(trimmed);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
