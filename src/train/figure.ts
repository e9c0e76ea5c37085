// The training history as a figure, like BaSe's vis_acc_loss: loss (top) and accuracy (bottom)
// per epoch, training and validation, with the epoch whose weights were kept marked. SVG text.

import { ArgumentError } from '../errors.js';
import { renderLineChart } from '../render/charts.js';
import { composeFigure, panelOf } from '../render/compose.js';
import type { TrainingHistory } from './fit.js';

/** Options of {@link renderTrainingHistory}. */
export interface TrainingHistoryFigureOptions {
  /** Figure title (default 'Training history'). */
  readonly title?: string;
  /** Line under the title (default: epochs run and the kept epoch). */
  readonly subtitle?: string;
  /** Lowest accuracy shown (default: 0.4, BaSe's, or lower if the data goes lower). */
  readonly accuracyMin?: number;
}

/** Loss and accuracy curves (training and validation) of a fit() history, one panel each. */
export function renderTrainingHistory(history: TrainingHistory, options: TrainingHistoryFigureOptions = {}): string {
  const n = history.loss.length;
  if (n === 0) throw new ArgumentError('BAD_ARGUMENT', 'renderTrainingHistory: the history has no epochs.');
  const epochs = Float64Array.from({ length: n }, (_, i) => i + 1);
  const lowest = Math.min(...history.accuracy, ...history.val_accuracy);
  const { title = 'Training history', accuracyMin = Math.min(0.4, Math.floor(lowest * 10) / 10) } = options;
  const subtitle = options.subtitle ?? `${n} epoch${n === 1 ? '' : 's'}${history.stoppedEarly ? ' (stopped early)' : ''}; weights kept from epoch ${history.keptEpoch}`;
  const size = { width: 480, height: 200 };
  const loss = renderLineChart({
    title: 'Loss',
    series: [{ name: 'Training', y: history.loss, x: epochs }, { name: 'Validation', y: history.val_loss, x: epochs }],
    yLabel: 'Loss',
    size,
    legend: true,
  });
  const accuracy = renderLineChart({
    title: 'Accuracy',
    series: [{ name: 'Training', y: history.accuracy, x: epochs }, { name: 'Validation', y: history.val_accuracy, x: epochs }],
    xLabel: 'Epoch',
    yLabel: 'Accuracy',
    yMin: accuracyMin,
    yMax: 1,
    size,
    legend: true,
  });
  return composeFigure({ rows: [[panelOf(loss)], [panelOf(accuracy)]], title, subtitle });
}
