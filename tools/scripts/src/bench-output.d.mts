/** Write `result` (plus machine facts and a timestamp) to bench-results/<pkg>/<name>.json; returns the path. */
export function writeBenchResult(pkg: string, name: string, result: Record<string, unknown>): string;
