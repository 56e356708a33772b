import pino, { type Logger } from 'pino';

/**
 * JSON logs. Secrets are censored by path, and no code logs message bodies: logs say what
 * happened (route, status, ids, timings), never what a user wrote.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.token',
  'headers.authorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'keel' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
