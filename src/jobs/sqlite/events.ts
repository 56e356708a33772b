import { EventEmitter } from 'node:events';
import type { JobEvent } from '../queue.js';

/**
 * The events of one queue handle: each job's, heard by that handle's subscribers at once, and
 * "a job is ready", which wakes that handle's idle workers.
 */
export class SqliteJobEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit(event: JobEvent): void {
    this.emitter.emit(`job:${event.jobId}`, event);
  }

  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    this.emitter.on(`job:${id}`, listener);
    return () => this.emitter.off(`job:${id}`, listener);
  }

  jobReady(): void {
    this.emitter.emit('job-ready');
  }

  onJobReady(listener: () => void): () => void {
    this.emitter.on('job-ready', listener);
    return () => this.emitter.off('job-ready', listener);
  }

  clear(): void {
    this.emitter.removeAllListeners();
  }
}
