// test/bench/tokenizer_bench.js - times Hugging Face's Rust tokenizer (npm tokenizers) alone,
// for test/bench/bench_tokenizer.sh.
//   RAYON_NUM_THREADS=1 node test/bench/tokenizer_bench.js VOCAB.txt (lower|cased) LINES.txt REPS
// Reads LINES.txt (one text a line), builds the tokenizer (tokenizer_ref.js's
// tokenizer.json), warms up once, then REPS times encodes all lines with [CLS]/[SEP]
// via encodeBatch (one call per 1000 lines), timing only those calls and reading the ids
// back (no file I/O). Prints median wall-clock and process CPU seconds (all threads)
// with MB/s of UTF-8 input, lines, tokens, checksum.
'use strict';
const fs = require('fs');
const { build } = require('../checks/tokenizer_ref.js');

async function main() {
  const [vocab, mode, file, repsArg] = process.argv.slice(2);
  const tok = build(vocab, mode);
  const raw = fs.readFileSync(file);
  let text = raw.toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n');
  const reps = Math.max(1, parseInt(repsArg || '5', 10));
  const B = 1000;
  async function once() {
    let tokens = 0;
    let sum = 0n;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i += B) {
      const encs = await tok.encodeBatch(lines.slice(i, i + B), { addSpecialTokens: true });
      for (const e of encs) {
        const ids = e.getIds();
        tokens += ids.length;
        for (const id of ids) sum = (sum * 31n + BigInt(id)) & 0xffffffffffffffffn;
      }
    }
    return [Number(process.hrtime.bigint() - t0) / 1e9, tokens, sum];
  }
  // time without the checksum loop too: it is ours, not the library's
  async function onceNoSum() {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let tokens = 0;
    for (let i = 0; i < lines.length; i += B) {
      const encs = await tok.encodeBatch(lines.slice(i, i + B), { addSpecialTokens: true });
      for (const e of encs) tokens += e.getIds().length;
    }
    const c = process.cpuUsage(c0);
    return [Number(process.hrtime.bigint() - t0) / 1e9, (c.user + c.system) / 1e6];
  }
  const [, tokens, sum] = await once(); // warm-up, and the checksum
  const secs = [];
  const cpu = [];
  for (let r = 0; r < reps; r++) {
    const [w, c] = await onceNoSum();
    secs.push(w);
    cpu.push(c);
  }
  secs.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const med = secs[Math.floor(reps / 2)];
  const medc = cpu[Math.floor(reps / 2)];
  console.log(`tokenizers encodeBatch: wall ${med.toFixed(4)} s ${(raw.length / med / 1e6).toFixed(1)} MB/s, ` +
    `cpu ${medc.toFixed(4)} s ${(raw.length / medc / 1e6).toFixed(1)} MB/s (medians of ${reps}), ` +
    `${lines.length} lines, ${tokens} tokens, checksum ${sum}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
