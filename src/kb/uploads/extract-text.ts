import mammoth from 'mammoth';
import TurndownService from 'turndown';
import { KeelError } from '../../errors.js';

/** Formats an upload may have, by file extension. */
export const UPLOAD_FORMATS = {
  md: 'markdown',
  markdown: 'markdown',
  txt: 'text',
  json: 'json',
  jsonl: 'jsonl',
  html: 'html',
  htm: 'html',
  pdf: 'pdf',
  docx: 'docx',
} as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[keyof typeof UPLOAD_FORMATS];

export function uploadFormat(fileName: string): UploadFormat | undefined {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';
  return (UPLOAD_FORMATS as Record<string, UploadFormat>)[extension];
}

/** The file could not be read as its format claims (corrupt, encrypted, not really a PDF …). */
export class UnreadableFileError extends KeelError {
  constructor(fileName: string, reason: string) {
    super('file_unreadable', `Could not read ${fileName}: ${reason}`, 422, { file: fileName });
  }
}

/**
 * What Keel indexes of an upload: Markdown (chunked by headings) or the JSON/JSONL text as it is,
 * and the file name the indexed copy is stored under (`report.pdf.md`, `data.json`); the document is cited as the uploaded name (`report.pdf`).
 */
export interface ExtractedText {
  text: string;
  indexedName: string;
}

function turndown(): TurndownService {
  const service = new TurndownService({
    headingStyle: 'atx',
    codeBlockStyle: 'fenced',
    bulletListMarker: '-',
  });
  // Scripts and styles are no text a reader sees.
  service.remove(['head', 'title', 'script', 'style', 'noscript', 'iframe', 'object']);
  return service;
}

function decodeUtf8(fileName: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UnreadableFileError(fileName, 'the text is not valid UTF-8');
  }
}

/** A PDF's pages as `## Page N` sections, so citations name the page. */
async function pdfMarkdown(fileName: string, bytes: Buffer): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  let pages: string[];
  try {
    const document = await getDocumentProxy(new Uint8Array(bytes));
    pages = (await extractText(document, { mergePages: false })).text as string[];
  } catch (error) {
    throw new UnreadableFileError(fileName, `not a readable PDF (${(error as Error).message})`);
  }
  const title = fileName.replace(/\.pdf$/i, '');
  const sections = pages
    .map((page, at) => ({ page: at + 1, text: page.trim() }))
    .filter((page) => page.text.length > 0)
    .map((page) => `## Page ${page.page}\n\n${page.text.replace(/\n{3,}/g, '\n\n')}`);
  if (sections.length === 0)
    throw new UnreadableFileError(fileName, 'the PDF holds no text (a scan?)');
  return `# ${title}\n\n${sections.join('\n\n')}\n`;
}

async function docxMarkdown(fileName: string, bytes: Buffer): Promise<string> {
  try {
    const { value } = await mammoth.convertToHtml({ buffer: bytes });
    return turndown().turndown(value);
  } catch (error) {
    throw new UnreadableFileError(fileName, `not a readable DOCX (${(error as Error).message})`);
  }
}

/**
 * Extracts the indexable text of an uploaded file through well-kept parsers: unpdf (pdf.js) for
 * PDF, mammoth for DOCX, turndown for HTML. Throws UnreadableFileError (422) for a corrupt file;
 * never indexes half a document.
 */
export async function extractText(
  fileName: string,
  format: UploadFormat,
  bytes: Buffer,
): Promise<ExtractedText> {
  switch (format) {
    case 'markdown':
      return {
        text: decodeUtf8(fileName, bytes),
        indexedName: fileName.replace(/\.markdown$/i, '.md'),
      };
    case 'json':
    case 'jsonl':
      return { text: decodeUtf8(fileName, bytes), indexedName: fileName };
    case 'text':
      return { text: decodeUtf8(fileName, bytes), indexedName: `${fileName}.md` };
    case 'html':
      return {
        text: turndown().turndown(decodeUtf8(fileName, bytes)),
        indexedName: `${fileName}.md`,
      };
    case 'pdf':
      return { text: await pdfMarkdown(fileName, bytes), indexedName: `${fileName}.md` };
    case 'docx':
      return { text: await docxMarkdown(fileName, bytes), indexedName: `${fileName}.md` };
  }
}
