// bench_engine_ort.js MODEL.onnx SEQ ITERS THREADS VOCAB: the ONNX Runtime peer of
// test/bench/bench_engine.sh (npm onnxruntime-node, CPU). Prints {"median_ms": ...}.
const path = require('path');
const ort = require(path.resolve(process.env.ORT_DIR || '.', 'node_modules', 'onnxruntime-node'));

async function main() {
    const [model, seqS, itersS, threadsS, vocabS] = process.argv.slice(2);
    const seq = +seqS, iters = +itersS, threads = +threadsS, vocab = +vocabS;
    const sess = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
        graphOptimizationLevel: 'all',
    });
    let rng = 12345;
    const ids = new BigInt64Array(seq), types = new BigInt64Array(seq);
    for (let i = 0; i < seq; i++) { rng = (rng * 1664525 + 1013904223) >>> 0; ids[i] = BigInt(5 + (rng >>> 8) % (vocab - 5)); }
    const feeds = { ids: new ort.Tensor('int64', ids, [1, seq]), types: new ort.Tensor('int64', types, [1, seq]) };
    await sess.run(feeds);
    const ms = [];
    for (let i = 0; i < iters; i++) {
        const t = process.hrtime.bigint();
        await sess.run(feeds);
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const med = iters % 2 ? ms[(iters - 1) / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
    console.log(JSON.stringify({ peer: 'onnxruntime-node ' + (ort.env.versions ? ort.env.versions.common : ''), seq, threads, median_ms: med, min_ms: ms[0] }));
}
main().catch(e => { console.error('bench_engine_ort.js: ' + e.message); process.exit(1); });
