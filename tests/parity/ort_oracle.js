#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node from bench/setup-ort) as a test oracle for tests/parity/contrib_ops.py.
//
//   node ort_oracle.js --ort DIR run MODEL.onnx OUTDIR [NAME=FILE.npy ...]
//       runs MODEL (CPU, one thread, optimizations off so each com.microsoft node runs as written) on the
//       given .npy inputs and writes each output as OUTDIR/<output name>.npy
//   node ort_oracle.js --ort DIR optimize MODEL.onnx OUT.onnx LEVEL
//       has ORT's optimizer (graphOptimizationLevel LEVEL: basic | extended | all) save the optimized model
//
// .npy files: C order, little-endian float32, int32, int64, uint8, int8 or bool. Exits 1 with a message
// on any error.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
    process.stderr.write(`ort_oracle: error: ${msg}\n`);
    process.exit(1);
}

const DTYPES = {
    '<f4': ['float32', Float32Array],
    '<i4': ['int32', Int32Array],
    '<i8': ['int64', BigInt64Array],
    '|u1': ['uint8', Uint8Array],
    '|i1': ['int8', Int8Array],
    '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
    const buf = fs.readFileSync(file);
    if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`${file}: not a .npy file`);
    const major = buf[6];
    const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const header = buf.toString('latin1', start, start + headerLen);
    const descr = /'descr':\s*'([^']*)'/.exec(header)[1];
    if (/'fortran_order':\s*True/.test(header)) fail(`${file}: Fortran order is not supported`);
    const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
    const t = DTYPES[descr];
    if (!t) fail(`${file}: dtype ${descr} is not supported`);
    const off = start + headerLen;
    const bytes = buf.subarray(off);
    const copy = new ArrayBuffer(bytes.length);
    new Uint8Array(copy).set(bytes);
    const data = new t[1](copy);
    return {type: t[0], data: t[0] === 'bool' ? Uint8Array.from(data) : data, dims: shape};
}

function writeNpy(file, tensor) {
    const entry = Object.entries(DTYPES).find(([, v]) => v[0] === tensor.type);
    if (!entry) fail(`output type ${tensor.type} is not supported`);
    const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
    let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
    const pad = 64 - ((10 + header.length + 1) % 64);
    header += ' '.repeat(pad === 64 ? 0 : pad) + '\n';
    const pre = Buffer.alloc(10);
    pre.write('\x93NUMPY', 0, 'latin1');
    pre[6] = 1;
    pre[7] = 0;
    pre.writeUInt16LE(header.length, 8);
    const d = tensor.data;
    const body = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

async function main() {
    const argv = process.argv.slice(2);
    let ortDir = path.join(__dirname, '..', '..', 'bench', '.ort');
    if (argv[0] === '--ort') {
        ortDir = argv[1];
        argv.splice(0, 2);
    }
    let ort;
    try {
        ort = require(path.join(path.resolve(ortDir), 'node_modules', 'onnxruntime-node'));
    } catch (e) {
        fail(`cannot load onnxruntime-node from ${ortDir} (run bench/setup-ort): ${e.message}`);
    }
    const cmd = argv[0];
    if (cmd === 'optimize') {
        const [model, out, level] = argv.slice(1);
        await ort.InferenceSession.create(model, {
            graphOptimizationLevel: level,
            optimizedModelFilePath: out,
            intraOpNumThreads: 1,
            interOpNumThreads: 1,
            executionProviders: ['cpu']
        });
        if (!fs.existsSync(out)) fail(`ORT wrote no ${out}`);
        return;
    }
    if (cmd !== 'run') fail(`unknown command ${cmd} (run | optimize)`);
    const [model, outdir, ...inputs] = argv.slice(1);
    const session = await ort.InferenceSession.create(
        model,
        {graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu']});
    const feeds = {};
    for (const spec of inputs) {
        const eq = spec.indexOf('=');
        const x = readNpy(spec.slice(eq + 1));
        feeds[spec.slice(0, eq)] = new ort.Tensor(x.type, x.data, x.dims);
    }
    const results = await session.run(feeds);
    fs.mkdirSync(outdir, {recursive: true});
    for (const [name, t] of Object.entries(results)) writeNpy(path.join(outdir, `${name}.npy`), t);
}

main().catch((e) => fail(e.message || String(e)));
