import { Fragment, type ReactNode } from 'react';
import { type Token, type Tokens, marked } from 'marked';
import { safeLinkHref } from './safe-url';

/**
 * Markdown rendered as React elements from marked's tokens — never as an HTML string — so an
 * answer cannot inject markup: raw HTML in the text is shown as text, images are never loaded
 * (a remote image URL could carry data out of the page; the alt text is shown instead), links are
 * limited to http(s)/mailto and open in a new tab marked external, and `[n]` markers become
 * citation chips when a renderer for them is given.
 */
export interface MarkdownProps {
  text: string;
  renderCitation?: (index: number) => ReactNode | undefined;
}

export function Markdown({ text, renderCitation }: MarkdownProps) {
  return <div className="markdown">{blocks(marked.lexer(text), { renderCitation })}</div>;
}

interface Context {
  renderCitation?: ((index: number) => ReactNode | undefined) | undefined;
}

function blocks(tokens: Token[], context: Context): ReactNode[] {
  return tokens.map((token, key) => block(token, key, context));
}

function block(token: Token, key: number, context: Context): ReactNode {
  switch (token.type) {
    case 'heading': {
      // Answers sit under the page's own headings: their levels start at h3.
      const level = Math.min(6, (token as Tokens.Heading).depth + 2);
      const Tag = `h${level}` as 'h3';
      return <Tag key={key}>{inline(token.tokens ?? [], context)}</Tag>;
    }
    case 'paragraph':
      return <p key={key}>{inline(token.tokens ?? [], context)}</p>;
    case 'code':
      return (
        <pre key={key}>
          <code>{(token as Tokens.Code).text}</code>
        </pre>
      );
    case 'blockquote':
      return <blockquote key={key}>{blocks(token.tokens ?? [], context)}</blockquote>;
    case 'list':
      return list(token as Tokens.List, key, context);
    case 'table':
      return table(token as Tokens.Table, key, context);
    case 'hr':
      return <hr key={key} />;
    case 'space':
    case 'def':
      return null;
    case 'html':
      return <p key={key}>{(token as Tokens.HTML).text}</p>;
    case 'text':
      return <p key={key}>{token.tokens ? inline(token.tokens, context) : token.text}</p>;
    default:
      return 'text' in token ? <p key={key}>{String(token.text)}</p> : null;
  }
}

function list(token: Tokens.List, key: number, context: Context): ReactNode {
  const items = token.items.map((item, index) => (
    <li key={index}>
      {item.tokens.map((child, childKey) =>
        // Tight lists hold bare text tokens; they render inline, not as paragraphs.
        child.type === 'text' ? (
          <Fragment key={childKey}>{inline(child.tokens ?? [], context)}</Fragment>
        ) : (
          block(child, childKey, context)
        ),
      )}
    </li>
  ));
  return token.ordered ? (
    <ol key={key} start={typeof token.start === 'number' ? token.start : undefined}>
      {items}
    </ol>
  ) : (
    <ul key={key}>{items}</ul>
  );
}

function table(token: Tokens.Table, key: number, context: Context): ReactNode {
  return (
    <div key={key} className="table-scroll">
      <table>
        <thead>
          <tr>
            {token.header.map((cell, index) => (
              <th key={index}>{inline(cell.tokens, context)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {token.rows.map((row, rowIndex) => (
            <tr key={rowIndex}>
              {row.map((cell, index) => (
                <td key={index}>{inline(cell.tokens, context)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function inline(tokens: Token[], context: Context): ReactNode[] {
  return tokens.map((token, key) => inlineToken(token, key, context));
}

function inlineToken(token: Token, key: number, context: Context): ReactNode {
  switch (token.type) {
    case 'strong':
      return <strong key={key}>{inline(token.tokens ?? [], context)}</strong>;
    case 'em':
      return <em key={key}>{inline(token.tokens ?? [], context)}</em>;
    case 'del':
      return <del key={key}>{inline(token.tokens ?? [], context)}</del>;
    case 'codespan':
      return <code key={key}>{(token as Tokens.Codespan).text}</code>;
    case 'br':
      return <br key={key} />;
    case 'link':
      return link(token as Tokens.Link, key, context);
    case 'image':
      return (
        <span key={key} className="image-placeholder" title="Images in answers are not loaded">
          [image: {(token as Tokens.Image).text || 'no description'}]
        </span>
      );
    case 'text':
      return token.tokens ? (
        <Fragment key={key}>{inline(token.tokens, context)}</Fragment>
      ) : (
        <Fragment key={key}>{withCitations(token.text, context)}</Fragment>
      );
    default:
      // html, escape and anything new: its text, shown as text.
      return <Fragment key={key}>{'text' in token ? String(token.text) : ''}</Fragment>;
  }
}

function link(token: Tokens.Link, key: number, context: Context): ReactNode {
  const href = safeLinkHref(token.href);
  const label = inline(token.tokens, context);
  if (!href) return <span key={key}>{label}</span>;
  return (
    <a
      key={key}
      href={href}
      target="_blank"
      rel="noopener noreferrer nofollow external"
      className="external"
    >
      {label}
      <span className="visually-hidden"> (external link, opens in a new tab)</span>
    </a>
  );
}

const CITATION = /\[(\d{1,3})\]/g;

function withCitations(text: string, context: Context): ReactNode[] {
  if (!context.renderCitation) return [text];
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    const chip = context.renderCitation(Number(match[1]));
    if (chip === undefined) continue;
    parts.push(text.slice(last, match.index), <Fragment key={match.index}>{chip}</Fragment>);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}
