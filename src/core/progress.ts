/** One progress update from a long-running library call; the CLI renders it as a bar. */
export interface ProgressEvent {
  /** What is being done, e.g. "calibrate", "evaluate fp16". */
  stage: string;
  done: number;
  /** Undefined when the total is not known in advance. */
  total?: number;
  /** What `done` counts, e.g. "images". */
  unit: string;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/** Library warnings go through this callback too: the library never prints. */
export type WarningCallback = (message: string) => void;
