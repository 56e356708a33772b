import { imageSize } from 'image-size';
import { KeelError } from '../errors.js';
import type { VisionMediaType } from '../providers/vision-provider.js';

/** An image that passed the checks: its real type (from its bytes) and its dimensions. */
export interface CheckedImage {
  mediaType: VisionMediaType;
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Every PNG ends with an empty IEND chunk: length 0, type, CRC. */
const PNG_END = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const JPEG_END = Buffer.from([0xff, 0xd9]);
// Cameras append vendor data after the JPEG's end-of-image marker; it is found within this much.
const JPEG_TRAILER_SLACK = 4096;

const ascii = (bytes: Buffer, start: number, text: string) =>
  bytes.subarray(start, start + text.length).toString('latin1') === text;

/** The type the bytes say, whatever the upload's Content-Type claims. */
function sniff(bytes: Buffer): VisionMediaType | undefined {
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'image/gif';
  return undefined;
}

/**
 * Whether the file ends where its format says it does: the header alone parses even when the
 * upload was cut off, and a model given half a JPEG describes grey noise with confidence.
 */
function isComplete(bytes: Buffer, type: VisionMediaType): boolean {
  switch (type) {
    case 'image/png':
      return bytes.subarray(-PNG_END.length).equals(PNG_END);
    case 'image/jpeg': {
      const end = bytes.lastIndexOf(JPEG_END);
      return end > 2 && bytes.length - end <= JPEG_TRAILER_SLACK;
    }
    case 'image/webp':
      // RIFF's size field counts every byte after itself.
      return bytes.length >= 12 && bytes.readUInt32LE(4) + 8 <= bytes.length;
    case 'image/gif':
      return bytes.at(-1) === 0x3b;
  }
}

function dimensions(bytes: Buffer): { width: number; height: number } | undefined {
  try {
    const { width, height } = imageSize(bytes);
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks an image before anything stores it or sends it anywhere: at most `maxBytes` (413
 * `image_too_large`), a PNG, JPEG, WebP or GIF by its magic bytes (415 `unsupported_image_type`;
 * the declared Content-Type is not believed), and whole, with a readable header and dimensions
 * (422 `image_undecodable`). Only headers are parsed, never the pixels.
 *
 * @example
 *   const { mediaType, width, height } = checkImage(bytes, config.providers.vision.maxImageBytes);
 */
export function checkImage(bytes: Buffer, maxBytes: number): CheckedImage {
  if (bytes.length > maxBytes) {
    throw new KeelError('image_too_large', `The image may be at most ${maxBytes} bytes`, 413, {
      limit: maxBytes,
      bytes: bytes.length,
    });
  }
  const mediaType = sniff(bytes);
  if (!mediaType) {
    throw new KeelError(
      'unsupported_image_type',
      'The file is not a PNG, JPEG, WebP or GIF image (judged by its content, not its name)',
      415,
      { accepted: ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] },
    );
  }
  const size = dimensions(bytes);
  if (!size || !isComplete(bytes, mediaType)) {
    throw new KeelError(
      'image_undecodable',
      `The ${mediaType} image cannot be read: ${size ? 'it is cut off before its end' : 'its header is damaged'}`,
      422,
      { mediaType, reason: size ? 'truncated' : 'bad_header' },
    );
  }
  return { mediaType, ...size };
}
