/** Tests for the SecAgg+ masking graph: k-regular, symmetric, connected; complete when k ≥ m − 1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskingGraph } from './graph.js';

test('null or k ≥ m − 1 gives the complete graph of the original protocol', () => {
  for (const k of [null, 4, 9]) {
    const g = maskingGraph([0, 2, 5, 7, 9], k);
    for (const [u, ns] of g) assert.deepEqual([...ns].sort(), [0, 2, 5, 7, 9].filter((v) => v !== u));
  }
});

test('a Harary graph: every client has exactly k neighbours, never itself, symmetric and connected', () => {
  const ids = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 7 !== 3);
  for (const k of [2, 6, 14]) {
    const g = maskingGraph(ids, k);
    for (const [u, ns] of g) {
      assert.equal(ns.size, k);
      assert.ok(!ns.has(u));
      for (const v of ns) assert.ok(g.get(v)!.has(u), `${u}–${v} is one-way`);
    }
    const seen = new Set([ids[0]]);
    const queue = [ids[0]];
    while (queue.length) for (const v of g.get(queue.pop()!)!) if (!seen.has(v)) { seen.add(v); queue.push(v); }
    assert.equal(seen.size, ids.length, 'connected');
  }
});

test('the ordering is random: two graphs over the same clients differ', () => {
  const ids = Array.from({ length: 50 }, (_, i) => i);
  const a = maskingGraph(ids, 6);
  const b = maskingGraph(ids, 6);
  assert.ok(ids.some((u) => [...a.get(u)!].sort().join() !== [...b.get(u)!].sort().join()));
});
