// Tests of table.mjs, the table of `make bench`, on results written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const table = path.join(path.dirname(fileURLToPath(import.meta.url)), "table.mjs");

function render(lines) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-table-")), "results.jsonl");
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return execFileSync(process.execPath, [table, file], { encoding: "utf8" });
}

const result = (median, min) => ({ median_ms: median, min_ms: min, peak_live_bytes: 0, heap_live_bytes: 0, heap_inuse_bytes: 0, sys_bytes: 0, alloc_bytes_per_run: 0 });

test("rounds: the median of per-round ratios, the median and least of the times", () => {
  // Round 2 is a slow spell for Pare only, round 3 for onnxruntime-web
  // only: the per-round ratios are 0.5, 2.0 and 0.25, their median 0.5,
  // where the ratio of the medians (0.6 / 0.4) would be 1.5.
  const out = render([
    { runtime: "pare-wasm", name: "m", round: 1, result: result(0.2, 0.1) },
    { runtime: "ort-web", name: "m", round: 1, result: result(0.4, 0.3) },
    { runtime: "pare-wasm", name: "m", round: 2, result: result(0.8, 0.15) },
    { runtime: "ort-web", name: "m", round: 2, result: result(0.4, 0.35) },
    { runtime: "pare-wasm", name: "m", round: 3, result: result(0.6, 0.12) },
    { runtime: "ort-web", name: "m", round: 3, result: result(2.4, 0.2) },
  ]);
  const medians = out.split("\n").find((l) => l.startsWith("| m |"));
  assert.equal(medians, "| m | n/a | 0.600 (0.50) | n/a | 0.400 (1.00) | 3 |");
  const mins = out.split("\n").filter((l) => l.startsWith("| m |"))[1];
  assert.equal(mins, "| m | n/a | 0.100 (0.50) | n/a | 0.200 (1.00) |");
});

test("a line without a round is round 1, as results of one pass were written", () => {
  const out = render([
    { runtime: "pare-wasm", name: "m", result: result(0.3, 0.2) },
    { runtime: "ort-web", name: "m", result: result(0.6, 0.4) },
  ]);
  assert.match(out, /\| m \| n\/a \| 0\.300 \(0\.50\) \| n\/a \| 0\.600 \(1\.00\) \| 1 \|/);
});
