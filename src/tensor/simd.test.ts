import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArenaSize, SimdArena, simdAvailable, type ArenaAllocator } from './simd.js';
import { Rng } from './rng.js';

test('Node 20 validates the SIMD kernel module', () => {
  assert.equal(simdAvailable(), true);
});

test('dot and axpy agree with float64 JavaScript loops, for every length mod 8 and unaligned starts', () => {
  const arena = SimdArena.create(4 * 64 + 8 * 128)!;
  const rng = new Rng(7);
  const w = arena.f32(64);
  const x = arena.f64(64);
  const y = arena.f64(64);
  for (let i = 0; i < 64; i++) {
    w[i] = rng.normal();
    x[i] = rng.uniform();
  }
  for (let len = 0; len <= 40; len++) {
    for (const [wAt, xAt] of [[0, 0], [3, 1], [5, 7]]) {
      let want = 0;
      for (let i = 0; i < len; i++) want += w[wAt + i] * x[xAt + i];
      const got = arena.dot(w, x, wAt, xAt, len);
      assert.ok(Math.abs(got - want) <= 1e-14 * (1 + Math.abs(want)) * len, `dot len ${len} at ${wAt}/${xAt}: ${got} vs ${want}`);
      y.fill(0.5);
      arena.axpy(-1.25, w, wAt, y, xAt, len);
      for (let i = 0; i < 64; i++) {
        const expect = i >= xAt && i < xAt + len ? 0.5 + -1.25 * w[wAt + i - xAt] : 0.5;
        assert.equal(y[i], expect, `axpy len ${len}: y[${i}]`);
      }
    }
  }
});

test('axpy64 adds a multiple of a float64 vector exactly as the JavaScript loop does', () => {
  const arena = SimdArena.create(8 * 128)!;
  const w = arena.f64(40);
  const y = arena.f64(40);
  const rng = new Rng(9);
  for (let i = 0; i < 40; i++) w[i] = rng.normal();
  for (let len = 0; len <= 21; len++) {
    y.fill(0.25);
    arena.axpy64(0.75, w, 3, y, 1, len);
    for (let i = 0; i < 40; i++) assert.equal(y[i], i >= 1 && i < 1 + len ? 0.25 + 0.75 * w[3 + i - 1] : 0.25, `len ${len}: y[${i}]`);
  }
});

test('nonZeroBits sets bit k of word w for each non-zero value, −0 and 0 left out, for every length', () => {
  const arena = SimdArena.create(4 * 200 + 4 * 16)!;
  const src = arena.f32(200);
  const out = arena.i32(16);
  const rng = new Rng(11);
  for (let i = 0; i < 200; i++) src[i] = rng.uniform() < 0.5 ? 0 : rng.uniform() < 0.1 ? -0 : rng.normal();
  src[3] = -0;
  src[4] = 1e-40; // subnormal: not zero
  for (const [at, len] of [[0, 200], [5, 31], [7, 64], [1, 1], [0, 0], [9, 100]]) {
    out.fill(-1);
    arena.nonZeroBits(src, at, out, 0, len);
    for (let w = 0; w < Math.ceil(len / 32); w++) {
      let want = 0;
      for (let k = 0; k < 32 && 32 * w + k < len; k++) if (src[at + 32 * w + k] !== 0) want |= 1 << k;
      assert.equal(out[w], want, `len ${len} at ${at}: word ${w}`);
    }
    assert.equal(out[Math.ceil(len / 32)], -1, 'writes nothing past its last word');
  }
});

test('transposeColumns writes each chosen column into the row its table names and flags non-finite values', () => {
  const rows = 8;
  const n = 12;
  const arena = SimdArena.create(4 * (rows * n + 5 * rows + n) + 256)!;
  const src = arena.f32(rows * n);
  for (let k = 0; k < src.length; k++) src[k] = k + 0.5;
  const dst = arena.f32(5 * rows); // four destination rows and a trash row
  const table = arena.i32(n);
  // columns 4–7 go to destination rows 2, 0, trash, 1; columns 8–11 to 3, trash, trash, trash
  const where = [2, 0, 4, 1, 3, 4, 4, 4];
  for (let i = 4; i < 12; i++) table[i] = arena.byteAddress(dst, where[i - 4] * rows);
  assert.equal(arena.transposeColumns(src, n, rows, table, 4, 12), 0);
  for (const [col, row] of [[4, 2], [5, 0], [7, 1], [8, 3]]) {
    for (let j = 0; j < rows; j++) assert.equal(dst[row * rows + j], src[j * n + col], `column ${col} value ${j}`);
  }
  src[5 * n + 9] = Infinity;
  assert.ok(Number.isNaN(arena.transposeColumns(src, n, rows, table, 8, 12)), 'an infinite value is flagged');
  assert.equal(arena.transposeColumns(src, n, rows, table, 4, 8), 0, 'columns without it are not');
});

test('transposeColumns across several 64 × 64 tiles matches the plain transpose', () => {
  const rows = 136;
  const n = 140;
  const arena = SimdArena.create(4 * (2 * rows * n + n) + 256)!;
  const src = arena.f32(rows * n);
  const rng = new Rng(5);
  for (let k = 0; k < src.length; k++) src[k] = rng.normal();
  const dst = arena.f32(n * rows);
  const table = arena.i32(n);
  for (let i = 0; i < n; i++) table[i] = arena.byteAddress(dst, (n - 1 - i) * rows); // reversed order
  assert.equal(arena.transposeColumns(src, n, rows, table, 0, n), 0);
  for (let i = 0; i < n; i++) for (let j = 0; j < rows; j++) assert.equal(dst[(n - 1 - i) * rows + j], src[j * n + i]);
});

test('coveringRows keeps exactly the rows whose bits include every bit asked for', () => {
  const words = 7; // not a multiple of 4: the zero padding of `inner` makes the words past a row's end harmless
  const n = 40;
  const arena = SimdArena.create(4 * (n * words + 4 + 8 + 2 * n) + 256)!;
  const supp = arena.i32(n * words + 4);
  const inner = arena.i32(8);
  const rows = arena.i32(n);
  const out = arena.i32(n);
  const rng = new Rng(17);
  const word = () => (rng.uniform() * 2 ** 32) | 0;
  for (let t = 0; t < 20; t++) {
    for (let q = 0; q < words; q++) inner[q] = word() & word() & word(); // sparse-ish bits
    for (let r = 0; r < n; r++) {
      for (let q = 0; q < words; q++) supp[r * words + q] = word() | (r % 3 === 0 ? inner[q] : 0); // a third cover it
      if (r % 5 === 0) supp[r * words + (t % words)] &= ~inner[t % words]; // some of those lose a bit
    }
    for (let q = n * words; q < supp.length; q++) supp[q] = -1;
    let m = 0;
    for (let r = n - 1; r >= 0; r -= 2) rows[m++] = r; // every other row, descending
    const got = arena.coveringRows(rows, m, supp, words, inner, out);
    const want = Array.from(rows.subarray(0, m)).filter((r) => {
      for (let q = 0; q < words; q++) if ((inner[q] & ~supp[r * words + q]) !== 0) return false;
      return true;
    });
    assert.deepEqual(Array.from(out.subarray(0, got)), want, `trial ${t}`);
  }
});

test('onGrid makes the decisions and values of the JavaScript grid test, float32 and float64 sources', () => {
  const arena = SimdArena.create(8 * 64 + 4 * 64 + 2 * 64 + 256)!;
  const f64 = arena.f64(64);
  const f32 = arena.f32(64);
  const q = arena.u16(64);
  const js = (x: ArrayLike<number>, scale: number, levels: number, tol: number, out: Uint16Array): boolean => {
    for (let j = 0; j < x.length; j++) {
      const v = x[j] * scale;
      const k = (v + 0.5) | 0;
      if (!(Math.abs(v - k) <= tol) || k < 0 || k > levels) return false;
      out[j] = k;
    }
    return true;
  };
  const rng = new Rng(19);
  const want = new Uint16Array(64);
  const edge = [-0.6, -0.5, -0.4, -0, 0.5, 1.5, 254.5, 255.4, 255.6, 2 ** 31, 2 ** 40, NaN, Infinity, -Infinity];
  for (let t = 0; t < 400; t++) {
    const tol = t % 4 === 0 ? 0.5 : 0.1;
    const onGridValues = t % 2 === 0; // half the trials on the grid (all pass), half with one value off it
    for (let j = 0; j < 64; j++) f64[j] = Math.floor(rng.uniform() * 256) / 255 + (onGridValues ? 0 : (rng.uniform() - 0.5) * 1e-6);
    if (!onGridValues) f64[Math.floor(rng.uniform() * 64)] = edge[t % edge.length] / 255;
    f32.set(f64);
    for (const src of [f64, f32]) {
      want.fill(0);
      q.fill(0);
      const a = js(src, 255, 255, tol, want);
      const b = arena.onGrid(src, 255, 255, tol, q);
      assert.equal(b, a, `trial ${t} (${src.constructor.name}, tol ${tol})`);
      if (a) assert.deepEqual(Array.from(q), Array.from(want));
    }
  }
  assert.throws(() => arena.onGrid(f64.subarray(0, 3), 1, 255, 0.1, q), /even/);
});

test('scaleAndSupport scales in place and sets the bits of |v| > level as the JavaScript loop does (NaN unset), every length', () => {
  const arena = SimdArena.create(8 * 200 + 4 * 16)!;
  const rng = new Rng(11);
  const delta = arena.f64(100);
  const bits = arena.i32(5);
  for (let len = 0; len <= 100; len++) {
    const src = Float64Array.from({ length: len }, () => rng.normal());
    if (len > 3) src[3] = NaN;
    delta.set(src);
    bits.fill(-1);
    const count = arena.scaleAndSupport(delta, len, -1.5, 0.75, bits);
    let want = 0;
    for (let i = 0; i < len; i++) {
      const v = src[i] * -1.5;
      assert.ok(Object.is(delta[i], v), `len ${len}: delta[${i}]`);
      const on = Math.abs(v) > 0.75 ? 1 : 0;
      want += on;
      assert.equal((bits[i >>> 5] >>> (i & 31)) & 1, on, `len ${len}: bit ${i}`);
    }
    assert.equal(count, want, `len ${len}: count`);
    // bits past the length in the last word are clear; words past it untouched
    if (len % 32 !== 0) assert.equal(bits[len >>> 5] >>> (len & 31), 0, `len ${len}: tail bits`);
    assert.equal(bits[(len + 31) >>> 5], -1, `len ${len}: next word`);
  }
});

test('maxDiff, divide and axpyDot agree with the JavaScript loops, float32 and float64 sources, every length', () => {
  const arena = SimdArena.create(4 * 64 + 8 * 64 * 6)!;
  const rng = new Rng(13);
  const w32 = arena.f32(64);
  const w64 = arena.f64(64);
  const ref = arena.f64(64);
  const x = arena.f64(64);
  const y = arena.f64(64);
  const out = arena.f64(64);
  for (let i = 0; i < 64; i++) {
    w32[i] = rng.normal();
    w64[i] = rng.normal();
    ref[i] = rng.normal();
    x[i] = rng.uniform();
  }
  for (let len = 0; len <= 40; len++) {
    for (const src of [w32, w64]) {
      let want = 0;
      for (let i = 0; i < len; i++) want = Math.max(want, Math.abs(src[5 + i] / 0.3 - ref[i]));
      assert.equal(arena.maxDiff(src, 5, 0.3, ref, len), want, `maxDiff len ${len}`);
      for (const y of [0.3, 1]) {
        out.fill(7);
        arena.divide(src, 5, y, out, len);
        for (let i = 0; i < 64; i++) assert.equal(out[i], i < len ? src[5 + i] / y : 7, `divide by ${y}, len ${len}: out[${i}]`);
      }
    }
    y.fill(0.5);
    const got = arena.axpyDot(-1.25, w32, 3, y, x, len);
    let dot = 0;
    for (let i = 0; i < len; i++) dot += w32[3 + i] * x[i];
    assert.ok(Math.abs(got - dot) <= 1e-14 * (1 + Math.abs(dot)) * len, `axpyDot len ${len}: ${got} vs ${dot}`);
    for (let i = 0; i < 64; i++) assert.equal(y[i], i < len ? 0.5 + -1.25 * w32[3 + i] : 0.5, `axpyDot len ${len}: y[${i}]`);
  }
  // a NaN anywhere makes the maximum NaN, so that `!(max <= tol)` rejects as the element-wise test does
  for (const at of [0, 1, 6]) {
    w64[at] = NaN;
    assert.ok(Number.isNaN(arena.maxDiff(w64, 0, 1, ref, 7)), `NaN at ${at}`);
    w64[at] = 0;
  }
});

test('hand-checked values: [1, 2, 3, …, 9]·[1, 1, …] = 45 and y += 2·w', () => {
  const arena = SimdArena.create(1024)!;
  const w = arena.f32(9);
  const x = arena.f64(9);
  w.set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  x.fill(1);
  assert.equal(arena.dot(w, x, 0, 0, 9), 45);
  assert.equal(arena.dot(w, x, 8, 0, 1), 9);
  arena.axpy(2, w, 0, x, 0, 9);
  assert.deepEqual(Array.from(x), [3, 5, 7, 9, 11, 13, 15, 17, 19]);
  // y = x + 1·w = [4, 7, …, 28] and w·[1, …, 1] = 45; |w/2 − [0, …]| at most 4.5; w/4 = [0.25, …, 2.25]
  const ones = arena.f64(9).fill(1);
  assert.equal(arena.axpyDot(1, w, 0, x, ones, 9), 45);
  assert.deepEqual(Array.from(x), [4, 7, 10, 13, 16, 19, 22, 25, 28]);
  assert.equal(arena.maxDiff(w, 0, 2, arena.f64(9), 9), 4.5);
  const quarter = arena.f64(9);
  arena.divide(w, 0, 4, quarter, 9);
  assert.deepEqual(Array.from(quarter), [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25]);
  // |−1.5·[1, −0.25, 0.5]| > 0.7 at 0 and 2: bits 0b101, two units
  const delta = arena.f64(3);
  delta.set([1, -0.25, 0.5]);
  const bits = arena.i32(1);
  assert.equal(arena.scaleAndSupport(delta, 3, -1.5, 0.7, bits), 2);
  assert.equal(bits[0], 0b101);
  assert.deepEqual(Array.from(delta), [-1.5, 0.375, -0.75]);
});

test('ArenaSize counts what a layout takes in an arena, alignment included; touchFrom zeroes from a mark on', () => {
  const layout = (a: ArenaAllocator) => ({ a: a.f32(3), b: a.f64(5), c: a.i32(1), d: a.u16(7) });
  const size = new ArenaSize();
  layout(size);
  // each array starts on 16 bytes: 12 bytes at 0, 40 at 16 (to 56), 4 at 64 (to 68), 14 at 80 (to 94)
  assert.equal(size.bytes, 94);
  const arena = SimdArena.create(size.bytes)!;
  const laid = layout(arena);
  assert.equal(arena.allocated, size.bytes);
  laid.a.fill(1);
  const mark = arena.allocated - 14;
  laid.d.fill(9);
  laid.b.fill(2);
  arena.touchFrom(mark);
  assert.deepEqual(Array.from(laid.d), [0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(laid.a), [1, 1, 1]);
  assert.deepEqual(Array.from(laid.b), [2, 2, 2, 2, 2]);
  // layouts past 2³¹ bytes are counted, not wrapped (ImageNet-size workspaces are sized before being refused)
  const huge = new ArenaSize();
  huge.f64(150_528 * 1000);
  huge.f64(150_528 * 1000);
  assert.equal(huge.bytes, 2 * 8 * 150_528 * 1000);
});

test('the arena refuses sizes above its cap and allocations past its end', () => {
  assert.equal(SimdArena.create(2 ** 20, 2 ** 10), null);
  const arena = SimdArena.create(100)!;
  assert.ok(arena.holds(arena.f64(8)));
  assert.ok(!arena.holds(new Float64Array(8)));
  assert.throws(() => arena.f64(65536), /SIMD arena full/);
});
