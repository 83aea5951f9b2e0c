/** The largest canvas side the heatmap draws (bigger matrices are shown in blocks). */
const MAX_SIDE = 480;

/** A diverging colour for `t` in [-1, 1]: blue for negative, white at 0, red for positive. */
export function divergingColor(t: number): [number, number, number] {
  const s = Math.min(1, Math.abs(t));
  const [r, g, b] = t < 0 ? [37, 99, 235] : [220, 38, 38];
  return [255 + (r - 255) * s, 255 + (g - 255) * s, 255 + (b - 255) * s].map(Math.round) as [
    number,
    number,
    number,
  ];
}

/** What {@link drawHeatmap} drew: the value range and how many values each pixel block shows. */
export interface HeatmapInfo {
  /** The largest |value|, the colour scale's end. */
  readonly maxAbs: number;
  /** Rows and columns per block (1 = every value its own cell). */
  readonly block: readonly [number, number];
}

/**
 * Draws an `[rows, cols]` matrix on a canvas, one cell per value (cells up to 32 px), or, for a
 * matrix larger than the canvas, one pixel per block showing the block's value of largest |value|.
 * Colours follow the square root of |value| / max |value| (small values stay visible); NaN cells are grey.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  data: ArrayLike<number>,
  rows: number,
  cols: number,
): HeatmapInfo {
  const blockRows = Math.ceil(rows / MAX_SIDE);
  const blockCols = Math.ceil(cols / MAX_SIDE);
  const gridRows = Math.ceil(rows / blockRows);
  const gridCols = Math.ceil(cols / blockCols);
  const cell = Math.max(1, Math.min(32, Math.floor(MAX_SIDE / Math.max(gridRows, gridCols))));
  canvas.width = gridCols * cell;
  canvas.height = gridRows * cell;
  let maxAbs = 0;
  for (let i = 0; i < rows * cols; i++) {
    const v = Math.abs(data[i]!);
    if (v > maxAbs && Number.isFinite(v)) maxAbs = v;
  }
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(canvas.width, canvas.height);
  for (let gr = 0; gr < gridRows; gr++) {
    for (let gc = 0; gc < gridCols; gc++) {
      let pick = 0;
      let nan = false;
      for (let r = gr * blockRows; r < Math.min(rows, (gr + 1) * blockRows); r++) {
        for (let c = gc * blockCols; c < Math.min(cols, (gc + 1) * blockCols); c++) {
          const v = data[r * cols + c]!;
          if (Number.isNaN(v)) nan = true;
          else if (Math.abs(v) > Math.abs(pick)) pick = v;
        }
      }
      const [red, green, blue] =
        nan && pick === 0
          ? [160, 160, 160]
          : divergingColor(maxAbs > 0 ? Math.sign(pick) * Math.sqrt(Math.abs(pick) / maxAbs) : 0);
      for (let y = gr * cell; y < (gr + 1) * cell; y++) {
        for (let x = gc * cell; x < (gc + 1) * cell; x++) {
          const at = (y * canvas.width + x) * 4;
          image.data[at] = red;
          image.data[at + 1] = green;
          image.data[at + 2] = blue;
          image.data[at + 3] = 255;
        }
      }
    }
  }
  context.putImageData(image, 0, 0);
  return { maxAbs, block: [blockRows, blockCols] };
}
