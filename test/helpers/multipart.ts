/**
 * A multipart/form-data body for `app.inject`, encoded by the platform's own FormData so the
 * boundary and part headers are what a browser sends.
 *
 * @example
 *   await app.inject({ method: 'POST', url: '/v1/vision/analyze',
 *     ...(await multipartBody([{ field: 'image', name: 'sky.png', bytes }], { prompt: 'Describe' })) });
 */
export async function multipartBody(
  files: { field: string; name: string; bytes: Buffer | string }[],
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) form.append(file.field, new Blob([file.bytes]), file.name);
  const encoded = new Response(form);
  return {
    payload: Buffer.from(await encoded.arrayBuffer()),
    headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
  };
}
