/** PNG grid of a client's batch (top row of each band) and what the server extracted under each input. */
import { PNG } from 'pngjs';

/** One tile pair: the original input and the extraction matched to it (null: nothing extracted). */
export interface GridCell {
  original: ArrayLike<number>;
  extracted: ArrayLike<number> | null;
  /** Border colour: exact extraction, inexact best match, or none. */
  status: 'exact' | 'approximate' | 'none';
}

/** Layout options for {@link renderGrid}. */
export interface GridOptions {
  /** One example's shape, HWC. */
  shape: number[];
  /** Tiles per band (default: up to 20). */
  columns?: number;
  /** Integer pixel magnification (default 2 for images ≤ 32 px, else 1). */
  zoom?: number;
}

const GAP = 2;
const BORDER = 2;
const BACKGROUND = [255, 255, 255];
const EMPTY_TILE = 128;
const STATUS_COLOUR: Record<GridCell['status'], number[]> = {
  exact: [0, 160, 60],
  approximate: [230, 140, 0],
  none: [200, 200, 200],
};

/**
 * Renders bands of two rows: originals above, extractions below (grey where nothing was extracted), each
 * extraction framed green (exact), orange (inexact best match) or light grey (none). Returns PNG bytes.
 * @example
 * const png = renderGrid([{ original: x, extracted: x, status: 'exact' }], { shape: [28, 28, 1] });
 */
export function renderGrid(cells: GridCell[], opts: GridOptions): Uint8Array {
  const [h, w, c] = opts.shape.length === 3 ? opts.shape : [opts.shape[0], opts.shape[1] ?? 1, 1];
  const zoom = opts.zoom ?? (Math.max(h, w) <= 32 ? 2 : 1);
  const columns = Math.max(1, Math.min(opts.columns ?? 20, cells.length));
  const bands = Math.max(1, Math.ceil(cells.length / columns));
  const tileW = w * zoom + 2 * BORDER;
  const tileH = h * zoom + 2 * BORDER;
  const width = columns * (tileW + GAP) + GAP;
  const height = bands * (2 * tileH + 3 * GAP) + GAP;
  const png = new PNG({ width, height });
  fill(png, 0, 0, width, height, BACKGROUND);
  cells.forEach((cell, k) => {
    const x0 = GAP + (k % columns) * (tileW + GAP);
    const y0 = GAP + Math.floor(k / columns) * (2 * tileH + 3 * GAP);
    drawTile(png, x0, y0, cell.original, [h, w, c], zoom, [255, 255, 255]);
    drawTile(png, x0, y0 + tileH + GAP, cell.extracted, [h, w, c], zoom, STATUS_COLOUR[cell.status]);
  });
  return PNG.sync.write(png);
}

function drawTile(
  png: PNG,
  x0: number,
  y0: number,
  image: ArrayLike<number> | null,
  [h, w, c]: number[],
  zoom: number,
  border: number[],
): void {
  fill(png, x0, y0, w * zoom + 2 * BORDER, h * zoom + 2 * BORDER, border);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const rgb = [0, 0, 0];
      for (let k = 0; k < 3; k++) {
        // Extractions can fall outside [0, 1]; clamp for display only.
        const v = image === null ? EMPTY_TILE / 255 : image[(y * w + x) * c + (c === 3 ? k : 0)];
        rgb[k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
      fill(png, x0 + BORDER + x * zoom, y0 + BORDER + y * zoom, zoom, zoom, rgb);
    }
  }
}

function fill(png: PNG, x0: number, y0: number, w: number, h: number, rgb: number[]): void {
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const i = (y * png.width + x) * 4;
      png.data[i] = rgb[0];
      png.data[i + 1] = rgb[1];
      png.data[i + 2] = rgb[2];
      png.data[i + 3] = 255;
    }
  }
}
