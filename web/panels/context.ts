// The page's shared context: what is open (info, predictions), which input is selected, and
// events the panels listen to, so that every panel follows a selection wherever it was made.

import type { DatasetView, Info, Status } from './common.js';

/** Events panels can listen to. */
export interface AppEvents {
  /** An input was selected (index into x). */
  select: number;
  /** Predictions for all inputs arrived. */
  dataset: DatasetView;
}

/** What every panel can reach. */
export interface App {
  readonly info: Info;
  readonly dataset: DatasetView | null;
  readonly selected: number | null;
  readonly status: Status;
  /** Selects input `index` in every panel. */
  select(index: number): void;
  on<K extends keyof AppEvents>(event: K, fn: (value: AppEvents[K]) => void): void;
  /** URL of input i as a gray PNG (thumbnails and the large view). */
  imageUrl(index: number): string;
  /** Class name of c ("unknown" for null). */
  className(c: number | null): string;
  /** Class c for lists: "3: cat", or "3" when the name is the number. */
  classLabel(c: number): string;
  /** A short message at the bottom of the page. */
  toast(text: string): void;
}
