/**
 * superapp dual mode (docs/dual.md): the globals of a "mode": "dual" app's two contexts.
 * Written by hand (the callNative API types in superapp.d.ts are generated).
 *
 * View (the app's pages): postToLogic, onLogicMessage — no callNative.
 * Logic (the manifest's superapp.logic scripts, a worker): callNative, postToView, onViewMessage.
 */
import type { CallNative } from "./superapp";

/** Plain data: what a message may hold (at most 64 KiB as JSON, 32 levels deep). */
export type PlainData =
  | null
  | boolean
  | number
  | string
  | PlainData[]
  | { [key: string]: PlainData };

/** Rejects with an Error whose code is PAYLOAD_TOO_LARGE, INVALID_PARAMS or RATE_LIMITED;
 * throws TypeError at once for data that is not plain. */
export type PostMessage = (message: PlainData) => Promise<void>;
export type OnMessage = (callback: (message: PlainData) => void) => void;

/** In the view. */
export interface DualView {
  readonly postToLogic: PostMessage;
  readonly onLogicMessage: OnMessage;
}

/** In the logic. */
export interface DualLogic {
  readonly callNative: CallNative;
  readonly postToView: PostMessage;
  readonly onViewMessage: OnMessage;
}
