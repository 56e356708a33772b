import { ValidationError } from '../errors.js';

export interface Argon2Params {
  /** Memory per lane in KiB (the `m=` of the PHC string). */
  memoryKiB: number;
  /** Passes over memory (`t=`). */
  iterations: number;
  /** Lanes (`p=`). */
  parallelism: number;
}

/** What the seed products ask for: 64 MiB, 3 passes, 4 lanes. */
export const SEED_ARGON2: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 65536,
  iterations: 3,
  parallelism: 4,
});

/**
 * OWASP Password Storage Cheat Sheet, Argon2id: these (memory, passes) pairs are equally strong
 * minimums. A configuration is acceptable when it meets or exceeds at least one of them.
 */
export const OWASP_ARGON2ID_MINIMUMS: readonly { memoryKiB: number; iterations: number }[] = [
  { memoryKiB: 47104, iterations: 1 },
  { memoryKiB: 19456, iterations: 2 },
  { memoryKiB: 12288, iterations: 3 },
  { memoryKiB: 9216, iterations: 4 },
  { memoryKiB: 7168, iterations: 5 },
];

/** 4 GiB: anything larger is almost certainly bytes typed where KiB were meant. */
const MAX_MEMORY_KIB = 4 * 1024 * 1024;
/** The binding's own limit on lanes. */
const MAX_PARALLELISM = 255;
/** Throws a ValidationError when the parameters are malformed or below OWASP's floor. */
export function assertStrongEnough(params: Argon2Params): void {
  const { memoryKiB, iterations, parallelism } = params;
  const given = `m=${memoryKiB} KiB, t=${iterations}, p=${parallelism}`;
  const whole = [memoryKiB, iterations, parallelism].every(
    (value) => Number.isSafeInteger(value) && value >= 1,
  );
  if (!whole) {
    throw new ValidationError(
      'argon2_params_invalid',
      `Argon2id parameters must be positive whole numbers (got ${given})`,
      { ...params },
    );
  }
  if (memoryKiB > MAX_MEMORY_KIB || parallelism > MAX_PARALLELISM) {
    throw new ValidationError(
      'argon2_params_invalid',
      `Argon2id parameters are out of range (got ${given}; memory is in KiB, at most ${MAX_MEMORY_KIB}; parallelism at most ${MAX_PARALLELISM})`,
      { ...params },
    );
  }
  const meetsOwasp = OWASP_ARGON2ID_MINIMUMS.some(
    (minimum) => memoryKiB >= minimum.memoryKiB && iterations >= minimum.iterations,
  );
  if (!meetsOwasp) {
    const floors = OWASP_ARGON2ID_MINIMUMS.map((m) => `m=${m.memoryKiB}/t=${m.iterations}`);
    throw new ValidationError(
      'argon2_params_too_weak',
      `Argon2id parameters ${given} are below OWASP's minimum; use at least one of ${floors.join(', ')}`,
      { ...params, minimums: OWASP_ARGON2ID_MINIMUMS },
    );
  }
}
