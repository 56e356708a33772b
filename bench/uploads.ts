import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp } from '../src/api/app.js';
import { isEntryPoint, newWorkDir, openBenchKeel, removeWorkDir, writeResult } from './harness.js';
import { repoRoot } from './scifact.js';

/**
 * Upload throughput through `POST /v1/kb/uploads` in process (app.inject, no network): PDFs made
 * with LibreOffice (test/fixtures/uploads/lamp.pdf), 10 per request, each under its own name so
 * every one is extracted, stored in the blob folder and indexed. Prints files/s and MB/s.
 */
const REQUESTS = 10;
const FILES_PER_REQUEST = 10;

export async function runUploads() {
  const pdf = await readFile(join(repoRoot, 'test', 'fixtures', 'uploads', 'lamp.pdf'));
  const workDir = await newWorkDir('uploads');
  const keel = await openBenchKeel(workDir);
  const app = await buildApp(keel);
  try {
    const started = performance.now();
    for (let request = 0; request < REQUESTS; request++) {
      const form = new FormData();
      for (let file = 0; file < FILES_PER_REQUEST; file++)
        form.append('file', new Blob([pdf]), `manual-${request}-${file}.pdf`);
      const encoded = new Response(form);
      const response = await app.inject({
        method: 'POST',
        url: '/v1/kb/uploads',
        payload: Buffer.from(await encoded.arrayBuffer()),
        headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
      });
      if (response.statusCode !== 201) throw new Error(`upload failed: ${response.body}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const files = REQUESTS * FILES_PER_REQUEST;
    const megabytes = (files * pdf.length) / 2 ** 20;
    return {
      files,
      pdfBytes: pdf.length,
      seconds: Math.round(seconds * 100) / 100,
      filesPerSecond: Math.round((files / seconds) * 10) / 10,
      megabytesPerSecond: Math.round((megabytes / seconds) * 100) / 100,
    };
  } finally {
    await app.close();
    await keel.close();
    await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  const result = await runUploads();
  console.log(
    `${result.files} PDFs of ${result.pdfBytes} bytes in ${result.seconds} s: ${result.filesPerSecond} files/s, ${result.megabytesPerSecond} MB/s`,
  );
  await writeResult('uploads', { command: 'node bin/run-ts.js bench/uploads.ts', ...result });
}
