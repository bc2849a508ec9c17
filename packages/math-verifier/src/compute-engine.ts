import type { SymbolicBackend } from './compare-scalars';

/** Options of the lazily loaded compute-engine backend. */
export interface ComputeEngineOptions {
  /** Per-evaluation time limit given to compute-engine (ms). Default 2000. */
  readonly timeLimitMs?: number;
  /** Relative tolerance of numeric comparisons. Default 1e-9. */
  readonly relativeTolerance?: number;
}

let cached: Promise<SymbolicBackend | null> | null = null;

interface BoxedLike {
  readonly isValid: boolean;
  readonly unknowns: readonly string[];
  N(): BoxedLike;
  subs(values: Record<string, number>): BoxedLike;
  readonly re: number;
  readonly im: number;
}

function close(a: BoxedLike, b: BoxedLike, tolerance: number): boolean | null {
  const values = [a.re, a.im, b.re, b.im];
  if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) return null;
  const difference = Math.hypot(a.re - b.re, a.im - b.im);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return difference <= tolerance * scale || difference <= 1e-12;
}

/**
 * Load `@cortex-js/compute-engine` on first use (dynamic import, ~0.4 s once) and wrap one cached
 * engine as a `SymbolicBackend` for answers the built-in parser cannot read. Equality is decided
 * numerically (at random points when there are unknowns), never with compute-engine's tolerant
 * `isEqual` (which calls `1/2^50` equal to 0). Resolves to `null` when the library is unavailable.
 * The backend is cached for the process (or worker): the options of the first call win.
 */
export function loadComputeEngine(options: ComputeEngineOptions = {}): Promise<SymbolicBackend | null> {
  cached ??= (async () => {
    try {
      const module = await import('@cortex-js/compute-engine');
      const engine = new module.ComputeEngine();
      const limit = options.timeLimitMs ?? 2000;
      try {
        (engine as unknown as { timeLimit: number }).timeLimit = limit;
      } catch {
        // Older engines have no timeLimit; the worker pool still bounds time.
      }
      const tolerance = options.relativeTolerance ?? 1e-9;
      const parse = (latex: string): BoxedLike => engine.parse(latex) as unknown as BoxedLike;
      const backend: SymbolicBackend = {
        compare(gold, predicted) {
          try {
            if (gold.length > 500 || predicted.length > 500 || /\^\{?[^}]*\^/.test(gold + predicted)) return null;
            const a = parse(gold);
            const b = parse(predicted);
            if (!a.isValid || !b.isValid) return null;
            const unknowns = [...new Set([...a.unknowns, ...b.unknowns])];
            if (unknowns.length === 0) {
              const result = close(a.N(), b.N(), tolerance);
              return result === null ? null : { equal: result };
            }
            let valid = 0;
            for (let point = 1; point <= 5; point++) {
              const values: Record<string, number> = {};
              unknowns.forEach((name, j) => {
                const x = Math.sin(point * 12.9898 + (j + 1) * 78.233) * 43758.5453;
                values[name] = 0.35 + (x - Math.floor(x)) * 2.2;
              });
              const result = close(a.subs(values).N(), b.subs(values).N(), tolerance);
              if (result === false) return { equal: false };
              if (result === true) valid++;
            }
            return valid >= 3 ? { equal: true } : null;
          } catch {
            return null;
          }
        },
      };
      return backend;
    } catch {
      return null;
    }
  })();
  return cached;
}
