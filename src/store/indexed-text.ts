// Markdown link or image target: `](https://…)`, `](./Routes.md#url)`, with an optional title.
const LINK_TARGET = /\]\(\s*<?[^)\s>]*>?(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
// A reference definition line: `[id]: https://… "title"`.
const LINK_DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$/gm;
// An autolink or bare web address (a sentence's full stop or comma after it is not part of it).
const WEB_ADDRESS = /<?\b(?:https?|ftp):\/\/[^\s<>)\]]*[^\s<>)\].,;:!?'"]>?/g;
// An HTML tag (`<a id="encapsulation">`, `</div>`, `<img src=…>`) of the elements Markdown
// documents use; the text between tags stays. Not a type's parameter: `Array<string>`.
const HTML_TAG =
  /(?<![\w$.])<\/?(?:a|img|br|hr|p|div|span|sub|sup|b|i|em|strong|code|pre|kbd|details|summary|table|thead|tbody|tr|td|th|ul|ol|li|h[1-6]|picture|source|center|blockquote)\b[^<>]*>/gi;

/**
 * The text a chunk is indexed under for lexical search, when it differs from what is shown:
 * link targets, web addresses and HTML tags dropped, link text kept. Every URL of a product's
 * documentation otherwise indexes "https", "github", "com" and path words, so they match
 * questions about HTTPS or GitHub anywhere, and a section's rare words drown in its links.
 * Returns null when nothing was dropped, so only chunks with links store a second text.
 *
 * @example
 *   indexedText('See [Routes](./Routes.md#url-building) or https://fastify.dev.');
 *   // → 'See [Routes] or .'
 */
export function indexedText(text: string): string | null {
  const indexed = text
    .replace(LINK_DEFINITION, ' ')
    .replace(LINK_TARGET, ']')
    .replace(WEB_ADDRESS, ' ')
    .replace(HTML_TAG, ' ');
  return indexed === text ? null : indexed;
}
