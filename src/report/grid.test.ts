import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { renderGrid } from './grid.js';

test('grid puts each original above its extraction, grey where nothing was extracted', () => {
  const white = new Float32Array(4).fill(1);
  const black = new Float32Array(4).fill(0);
  const png = PNG.sync.read(
    Buffer.from(
      renderGrid(
        [
          { original: white, extracted: white, status: 'exact' },
          { original: black, extracted: null, status: 'none' },
        ],
        { shape: [2, 2, 1], zoom: 1 },
      ),
    ),
  );
  // Layout: gap 2, border 2, tile 2 px → tile width 6; two columns → width 2 + 2 * (6 + 2) = 18.
  assert.equal(png.width, 18);
  const px = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
  assert.deepEqual(px(4, 4), [255, 255, 255]); // first original (white) inside its border
  assert.deepEqual(px(4, 4 + 6 + 2), [255, 255, 255]); // its extraction
  assert.deepEqual(px(2, 10), [0, 160, 60]); // green frame: exact
  assert.deepEqual(px(12, 4), [0, 0, 0]); // second original (black)
  assert.deepEqual(px(12, 12), [128, 128, 128]); // grey: nothing extracted
});

test('RGB tiles keep their channels', () => {
  const red = new Float32Array([1, 0, 0]);
  const png = PNG.sync.read(Buffer.from(renderGrid([{ original: red, extracted: null, status: 'none' }], { shape: [1, 1, 3], zoom: 1 })));
  assert.deepEqual(Array.from(png.data.subarray((4 * png.width + 4) * 4, (4 * png.width + 4) * 4 + 3)), [255, 0, 0]);
});
