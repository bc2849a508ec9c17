/**
 * Errors of oreal-ts. Every error carries a stable `code`; `OrealError.is(x)` and each subclass's
 * `is(x)` check a global-symbol brand rather than the prototype chain, so they also recognise
 * errors thrown by another installed copy of this package.
 */

const BRAND = Symbol.for('oreal-ts.error');

/** Codes of the typed errors below. */
export type OrealErrorCode =
  | 'CONFIG'
  | 'DATA_FORMAT'
  | 'BACKEND_UNAVAILABLE'
  | 'CHECKPOINT'
  | 'VERIFIER_TIMEOUT'
  | 'HTTP_REQUEST'
  | 'WEIGHT_SYNC'
  | 'TRAINING_DIVERGED'
  | 'SPECIFICATION_VERSION'
  | 'INVALID_ARGUMENT';

function hasBrand(value: unknown): value is OrealError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Base class: what went wrong, where, and how to fix it, in `message`. */
export class OrealError extends Error {
  readonly code: OrealErrorCode;
  declare readonly [BRAND]: true;

  constructor(code: OrealErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /** True for any oreal-ts error, from this or another installed copy of the package. */
  static is(value: unknown): value is OrealError {
    return hasBrand(value);
  }
}

function isCode<T extends OrealError>(value: unknown, code: OrealErrorCode): value is T {
  return hasBrand(value) && value.code === code;
}

/** A configuration field (file, flag or option) is invalid. `path` is the dotted field path. */
export class ConfigError extends OrealError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('CONFIG', path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
  static override is(value: unknown): value is ConfigError {
    return isCode(value, 'CONFIG');
  }
}

/** A data file has a bad record. `line` is 1-based; `field` names the offending field when known. */
export class DataFormatError extends OrealError {
  readonly file: string;
  readonly line: number;
  readonly field: string | undefined;
  constructor(file: string, line: number, field: string | undefined, message: string, options?: { cause?: unknown }) {
    super('DATA_FORMAT', `${file}:${line}${field ? `: field '${field}'` : ''}: ${message}`, options);
    this.file = file;
    this.line = line;
    this.field = field;
  }
  static override is(value: unknown): value is DataFormatError {
    return isCode(value, 'DATA_FORMAT');
  }
}

/** A compute backend could not be loaded or initialised. */
export class BackendUnavailableError extends OrealError {
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super('BACKEND_UNAVAILABLE', `backend '${backend}': ${message}`, options);
    this.backend = backend;
  }
  static override is(value: unknown): value is BackendUnavailableError {
    return isCode(value, 'BACKEND_UNAVAILABLE');
  }
}

/** A checkpoint is missing, corrupt, hostile or does not match the model. */
export class CheckpointError extends OrealError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('CHECKPOINT', `checkpoint ${path}: ${message}`, options);
    this.path = path;
  }
  static override is(value: unknown): value is CheckpointError {
    return isCode(value, 'CHECKPOINT');
  }
}

/** A verification exceeded its time limit. */
export class VerifierTimeoutError extends OrealError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, message = `comparison exceeded ${timeoutMs} ms`) {
    super('VERIFIER_TIMEOUT', message);
    this.timeoutMs = timeoutMs;
  }
  static override is(value: unknown): value is VerifierTimeoutError {
    return isCode(value, 'VERIFIER_TIMEOUT');
  }
}

/** An HTTP request failed for good (after retries, or a non-retryable status). Never holds secrets. */
export class HttpRequestError extends OrealError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(url: string, status: number | undefined, message: string, options?: { cause?: unknown }) {
    super('HTTP_REQUEST', `${url}${status === undefined ? '' : ` (HTTP ${status})`}: ${message}`, options);
    this.url = url;
    this.status = status;
  }
  static override is(value: unknown): value is HttpRequestError {
    return isCode(value, 'HTTP_REQUEST');
  }
}

/** An inference server could not load published weights (it keeps its old ones). Never holds secrets. */
export class WeightSyncError extends OrealError {
  readonly baseUrl: string;
  readonly version: number;
  constructor(baseUrl: string, version: number, message: string, options?: { cause?: unknown }) {
    super('WEIGHT_SYNC', `${baseUrl}: could not load policy version ${version}: ${message}`, options);
    this.baseUrl = baseUrl;
    this.version = version;
  }
  static override is(value: unknown): value is WeightSyncError {
    return isCode(value, 'WEIGHT_SYNC');
  }
}

/** Training produced a non-finite loss or gradient; the last good checkpoint is left intact. */
export class TrainingDivergedError extends OrealError {
  readonly step: number;
  readonly quantity: string;
  constructor(step: number, quantity: string, message: string) {
    super('TRAINING_DIVERGED', `step ${step}: ${quantity} ${message}`);
    this.step = step;
    this.quantity = quantity;
  }
  static override is(value: unknown): value is TrainingDivergedError {
    return isCode(value, 'TRAINING_DIVERGED');
  }
}

/** A component implements another contract generation than the consumer expects. */
export class SpecificationVersionError extends OrealError {
  constructor(componentId: string, found: unknown, expected: string) {
    super(
      'SPECIFICATION_VERSION',
      `component '${componentId}' implements specificationVersion ${JSON.stringify(found)}, expected '${expected}'; upgrade the component or this package`,
    );
  }
  static override is(value: unknown): value is SpecificationVersionError {
    return isCode(value, 'SPECIFICATION_VERSION');
  }
}

/** A function was called with an argument outside its domain (programming error, not user data). */
export class InvalidArgumentError extends OrealError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
  static override is(value: unknown): value is InvalidArgumentError {
    return isCode(value, 'INVALID_ARGUMENT');
  }
}

/** Throw `SpecificationVersionError` unless `component` implements contract generation v1. */
export function assertSpecificationVersion(component: { id?: unknown; specificationVersion?: unknown }): void {
  if (component.specificationVersion !== 'v1') {
    throw new SpecificationVersionError(String(component.id ?? '<unnamed>'), component.specificationVersion, 'v1');
  }
}
