import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toCsv, toMarkdown, toText } from './table.js';
import { meanStd, median } from './stats.js';

test('markdown table has a header separator and one line per row', () => {
  const md = toMarkdown({ columns: ['N', 'R'], rows: [[200, '0.720'], [500, '0.915']] });
  assert.equal(md, '| N | R |\n| --- | --- |\n| 200 | 0.720 |\n| 500 | 0.915 |\n');
});

test('CSV quotes fields with commas and doubles inner quotes', () => {
  assert.equal(toCsv({ columns: ['a', 'b'], rows: [['x,y', 'say "hi"']] }), 'a,b\n"x,y","say ""hi"""\n');
});

test('text table right-aligns columns to the widest cell', () => {
  assert.equal(toText({ columns: ['B', 'R'], rows: [[100, '0.5']] }), '  B    R\n---  ---\n100  0.5\n');
});

test('mean and sample standard deviation by hand: [2, 4, 4, 4, 5, 5, 7, 9]', () => {
  const { mean, std } = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(mean, 5);
  assert.ok(Math.abs(std - Math.sqrt(32 / 7)) < 1e-12);
  assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  assert.equal(median([5, 1, 3, 2]), 2.5);
  assert.equal(median([5, 1, 3]), 3);
});
