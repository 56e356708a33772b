import { describe, expect, it } from 'vitest';
import { SKY_JPEG, SKY_PNG, SKY_WEBP } from '../../test/fixtures/images.js';
import { KeelError } from '../errors.js';
import { checkImage } from './image-check.js';

function refusal(bytes: Buffer, maxBytes = 1_000_000): KeelError {
  try {
    checkImage(bytes, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    return error as KeelError;
  }
  throw new Error('the image was accepted');
}

describe('checkImage', () => {
  it('reads the type from the bytes and the dimensions from the header', () => {
    expect(checkImage(SKY_PNG, 1_000_000)).toEqual({
      mediaType: 'image/png',
      width: 16,
      height: 12,
    });
    expect(checkImage(SKY_JPEG, 1_000_000)).toEqual({
      mediaType: 'image/jpeg',
      width: 16,
      height: 12,
    });
    expect(checkImage(SKY_WEBP, 1_000_000)).toEqual({
      mediaType: 'image/webp',
      width: 16,
      height: 12,
    });
  });

  it('refuses an image over the limit with 413', () => {
    const error = refusal(SKY_JPEG, SKY_JPEG.length - 1);
    expect([error.status, error.code]).toEqual([413, 'image_too_large']);
  });

  it('refuses what is not an image by content, whatever its name, with 415', () => {
    for (const bytes of [
      Buffer.from('%PDF-1.7\n'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      Buffer.alloc(0),
    ]) {
      const error = refusal(bytes);
      expect([error.status, error.code]).toEqual([415, 'unsupported_image_type']);
    }
  });

  it('refuses a truncated PNG, JPEG or WebP with 422, header intact or not', () => {
    for (const image of [SKY_PNG, SKY_JPEG, SKY_WEBP]) {
      for (const length of [12, 40, image.length - 5]) {
        const error = refusal(image.subarray(0, length));
        expect([error.status, error.code]).toEqual([422, 'image_undecodable']);
      }
    }
  });
});
