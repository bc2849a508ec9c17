import type { Component } from './version';

/**
 * One published version of the policy's weights: a Hugging Face checkpoint folder
 * (`config.json` + `*.safetensors`, HF tensor names) on a filesystem the inference servers read.
 */
export interface PublishedWeights {
  /**
   * Policy version: the number of optimiser steps the weights have taken (0 = the start
   * weights). Versions only grow within a run (a resume from an older checkpoint first discards
   * the versions its re-run steps published: `WeightPublisher.discardNewerThan`).
   */
  readonly version: number;
  /** Absolute path of the folder, e.g. `<run>/weights/policy-v12`. */
  readonly path: string;
  /** Hex sha256 of the folder's content (see the publisher for the exact byte order). */
  readonly sha256: string;
  /**
   * `full`: every tensor. `delta`: only the tensors that changed since `baseVersion`; a server
   * applies it on top of that version (and must hold it).
   */
  readonly kind: 'full' | 'delta';
  /** The version a delta applies to. Only for `kind: 'delta'`. */
  readonly baseVersion?: number;
  /** Tensors in the folder. */
  readonly tensorCount: number;
  /** Bytes written (tensor files + config.json). */
  readonly bytes: number;
}

/** Writes the trained policy's weights as a new version (a folder appears whole or not at all). */
export interface WeightPublisher extends Component {
  /** Write the policy's current weights as `version`; older versions beyond the publisher's `keep` are deleted. */
  publish(version: number): Promise<PublishedWeights>;
  /** The newest complete version on disk (after a restart: the last one a crash did not cut off). */
  latest(): Promise<PublishedWeights | undefined>;
  /**
   * Remove the versions newer than `version` and resolve with them, oldest first. A trainer that
   * resumes from a checkpoint older than its last publication calls it: the steps after the
   * checkpoint are run again, so what they published belongs to a discarded timeline (and versions
   * only grow from the resumed one on).
   */
  discardNewerThan(version: number): Promise<readonly number[]>;
}

/**
 * One inference server that loads published weights (an adapter per engine: `oreal serve`,
 * SGLang, vLLM). Every method names the server in its errors.
 */
export interface WeightSyncTarget extends Component {
  /** The server's base URL (without `/v1`). */
  readonly baseUrl: string;
  /**
   * Load `weights`; resolves with the version the server reports after loading. On failure it
   * rejects (`WeightSyncError`) and the server keeps serving its old weights.
   */
  loadWeights(weights: PublishedWeights, options?: { readonly signal?: AbortSignal }): Promise<number>;
  /** The version the server reports now; undefined when it serves weights no publisher wrote (its start weights). */
  loadedVersion(options?: { readonly signal?: AbortSignal }): Promise<number | undefined>;
  /**
   * The policy version that produced one completion response, read from the server's answer
   * (its body, e.g. `weight_version`, or the served model name); undefined when it does not say.
   */
  versionOfResponse(body: unknown): number | undefined;
}

/** What one weight sync did across the fleet. */
export interface WeightSyncReport {
  readonly version: number;
  /** Servers that confirmed `version`. */
  readonly confirmed: readonly string[];
  /** Servers that failed to load it and left the pool, with the reason. */
  readonly failed: readonly { readonly baseUrl: string; readonly reason: string }[];
  /** Wall-clock seconds from the first load request to the last confirmation. */
  readonly seconds: number;
}

/** The fleet side of weight sync, as the trainer sees it. */
export interface WeightSync {
  /**
   * Make `weights` the fleet's current version: every server in the pool loads it, and the
   * promise resolves when all live servers confirmed it. Servers that fail leave the pool; when
   * none is left it rejects. A server that rejoins later is brought to the current version first.
   */
  sync(weights: PublishedWeights): Promise<WeightSyncReport>;
  /** The version the last completed `sync` made current; undefined before the first. */
  readonly currentVersion: number | undefined;
}
