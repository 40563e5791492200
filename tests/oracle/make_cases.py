#!/usr/bin/python3
"""Writes small one-operator ONNX models with seeded inputs and has ONNX Runtime compute their outputs: the oracle
cases for what Debian's ONNX 1.12 test data cannot test (opsets 18-21, and edge cases of older operators).

    /usr/bin/python3 tests/oracle/make_cases.py OUT_DIR [--ort DIR] [--filter REGEX] [--list]

OUT_DIR/<Op>/<case>/ gets ONNX's backend-test layout (model.onnx, test_data_set_0/input_K.pb), which
`edgeinfer conformance --data OUT_DIR --suites <Op>,...` reads; tests/oracle/run_ort.js (Node) then runs every
model in onnxruntime-node (bench/setup-ort fetches it into bench/.ort; --ort DIR points elsewhere) and writes
output_K.pb. Cases ORT rejects are removed and listed in OUT_DIR/ort_rejected.txt. Without Node or ORT this exits
77 (CTest's skip code) saying so. Everything is seeded by the case name (deterministic).

Models are written with Debian's onnx 1.12 helper without its checker (it knows opsets up to 17): opset_import
is set directly, float8/int4 initializers are built as raw TensorProtos. Graph inputs use only types
onnxruntime-node can feed (no float8/int4): those types are reached through Cast or QuantizeLinear inside the
model and compared after a Cast back.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SKIP = 77
# ONNX TensorProto.DataType values onnx 1.12 does not name.
FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, UINT4, INT4 = 17, 18, 19, 20, 21, 22
F32, F16, F64, I64, I32, I8, U8, BOOL, STR = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE,
                                               TensorProto.INT64, TensorProto.INT32, TensorProto.INT8,
                                               TensorProto.UINT8, TensorProto.BOOL, TensorProto.STRING)
ORT_TYPE = {np.dtype(np.float32): 'float32', np.dtype(np.float16): 'float16', np.dtype(np.float64): 'float64',
            np.dtype(np.int8): 'int8', np.dtype(np.uint8): 'uint8', np.dtype(np.int16): 'int16',
            np.dtype(np.uint16): 'uint16', np.dtype(np.int32): 'int32', np.dtype(np.uint32): 'uint32',
            np.dtype(np.int64): 'int64', np.dtype(np.uint64): 'uint64', np.dtype(np.bool_): 'bool'}
IR_VERSION = {18: 8, 19: 9, 20: 9, 21: 10}

CASES = []  # (suite, name, ModelProto, [(input name, array)])
_seen = set()


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def onnx_type(a):
    if a.dtype == object:
        return STR
    return helper.np_dtype_to_tensor_dtype(a.dtype) if hasattr(helper, 'np_dtype_to_tensor_dtype') else \
        onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype]


def raw_tensor(name, data_type, dims, raw):
    t = TensorProto()
    t.name, t.data_type = name, data_type
    t.dims.extend(dims)
    t.raw_data = bytes(raw)
    return t


def pack4(values):
    """int4/uint4 values -> raw_data (two per byte, the first in the low nibble)."""
    v = [int(x) & 0xF for x in np.asarray(values).reshape(-1)]
    if len(v) % 2:
        v.append(0)
    return bytes(v[i] | (v[i + 1] << 4) for i in range(0, len(v), 2))


def case(suite, name, opset, nodes, inputs, outputs, inits=None):
    """inputs: [(name, array)] fed at run time; outputs: [(name, elem type)]; inits: {name: array | TensorProto}."""
    assert name not in _seen, name
    _seen.add(name)
    if not isinstance(nodes, list):
        nodes = [nodes]
    initializers = []
    for k, v in (inits or {}).items():
        initializers.append(v if isinstance(v, TensorProto) else numpy_helper.from_array(np.asarray(v), k))
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(n, onnx_type(a), a.shape) for n, a in inputs],
        [helper.make_tensor_value_info(n, t, None) for n, t in outputs], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], producer_name='edgeinfer-oracle')
    model.ir_version = IR_VERSION.get(opset, 8)
    CASES.append((suite, name, model, inputs))


def one(suite, name, opset, op, inputs, out_type=None, inits=None, n_out=1, out_types=None, **attrs):
    """One node of `op` over the graph inputs then the initializers, in the order given ('' for an absent input)."""
    names = [n for n, _ in inputs] + list((inits or {}).keys())
    order = attrs.pop('order', None)
    node_inputs = order if order is not None else names
    outs = ['y'] if n_out == 1 else ['y%d' % i for i in range(n_out)]
    types = out_types or [out_type if out_type is not None else onnx_type(inputs[0][1])] * n_out
    case(suite, name, opset, helper.make_node(op, node_inputs, outs, **attrs), inputs, list(zip(outs, types)),
         inits)


def f32(r, *shape, scale=1.0):
    return (r.standard_normal(shape) * scale).astype(np.float32)


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e30, 88.0, -88.0, 20.0, -20.0, 1.0],
                   np.float32)


# ---- opset 18: ReduceX with an axes input ---------------------------------------------------------------------
def reduce_cases():
    ops = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
           'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']
    positive = {'ReduceLogSum'}
    for op in ops:
        r = rng_for(op)

        def x(*shape):
            a = f32(r, *shape)
            return np.abs(a) + np.float32(0.1) if op in positive else a

        ax = lambda *v: {'axes': np.array(v, np.int64)}
        one(op, f'{op}18_axes1_keep', 18, op, [('x', x(3, 4, 5))], inits=ax(1), keepdims=1)
        one(op, f'{op}18_axes_neg_multi_nokeep', 18, op, [('x', x(3, 4, 5))], inits=ax(-1, 0), keepdims=0)
        one(op, f'{op}18_no_axes_all', 18, op, [('x', x(2, 3, 4))], keepdims=1)
        one(op, f'{op}18_no_axes_all_nokeep', 18, op, [('x', x(2, 3, 4))], keepdims=0)
        one(op, f'{op}18_empty_axes_noop', 18, op, [('x', x(2, 3))], inits=ax(), noop_with_empty_axes=1)
        one(op, f'{op}18_axes_as_input', 18, op, [('x', x(2, 3, 4)), ('axes', np.array([-2], np.int64))],
            keepdims=1)
        one(op, f'{op}18_rank1_axis0', 18, op, [('x', x(7))], inits=ax(0), keepdims=0)
        if op in ('ReduceSum', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp',
                  'ReduceMax', 'ReduceMin'):
            one(op, f'{op}18_empty_dim_reduced', 18, op, [('x', np.zeros((2, 0, 3), np.float32))], inits=ax(1),
                keepdims=0)
        one(op, f'{op}18_empty_dim_kept', 18, op, [('x', np.zeros((0, 3), np.float32))], inits=ax(1), keepdims=1)
        if op in ('ReduceSum', 'ReduceMean', 'ReduceSumSquare', 'ReduceL2'):
            a = x(3, 4)
            a[1, 2] = np.nan
            a[2, 0] = np.inf
            one(op, f'{op}18_nan_inf', 18, op, [('x', a)], inits=ax(1), keepdims=1)
        if op in ('ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1'):
            for dt in (np.int32, np.int64):
                a = r.integers(-5, 6, (3, 4, 2)).astype(dt)
                one(op, f'{op}18_{np.dtype(dt).name}', 18, op, [('x', a)], inits=ax(-1, 1), keepdims=0)
        one(op, f'{op}18_float64', 18, op, [('x', x(3, 5).astype(np.float64))], inits=ax(0), keepdims=1)
        one(op, f'{op}13_{"attr" if op != "ReduceSum" else "input"}_axes', 13, op, [('x', x(3, 4, 5))],
            **({'axes': [0, -1]} if op != 'ReduceSum' else {'inits': ax(0, -1)}))
    r = rng_for('ReduceMax20')
    b = r.integers(0, 2, (3, 4)).astype(np.bool_)
    one('ReduceMax', 'ReduceMax20_bool', 20, 'ReduceMax', [('x', b)], inits={'axes': np.array([1], np.int64)})
    one('ReduceMin', 'ReduceMin20_bool', 20, 'ReduceMin', [('x', b)], inits={'axes': np.array([0], np.int64)})


# ---- opset 18: Split num_outputs -------------------------------------------------------------------------------
def split_cases():
    r = rng_for('Split')
    one('Split', 'Split18_num_outputs_uneven', 18, 'Split', [('x', f32(r, 7, 4))], n_out=3, axis=0, num_outputs=3)
    one('Split', 'Split18_num_outputs_even_neg_axis', 18, 'Split', [('x', f32(r, 2, 9))], n_out=3, axis=-1,
        num_outputs=3)
    one('Split', 'Split18_num_outputs_int64', 18, 'Split', [('x', r.integers(-9, 9, (5, 2)).astype(np.int64))],
        n_out=2, axis=0, num_outputs=2)
    one('Split', 'Split18_split_input', 18, 'Split', [('x', f32(r, 3, 7))], n_out=2,
        inits={'split': np.array([2, 5], np.int64)}, axis=1)
    one('Split', 'Split18_split_with_zero', 18, 'Split', [('x', f32(r, 7, 2))], n_out=3,
        inits={'split': np.array([2, 0, 5], np.int64)}, axis=0)
    one('Split', 'Split13_default_equal', 13, 'Split', [('x', f32(r, 6, 3))], n_out=3)
    one('Split', 'Split18_num_outputs_one', 18, 'Split', [('x', f32(r, 4, 3))], n_out=1, axis=1, num_outputs=1)


# ---- Pad 18 (axes), 19 (wrap) and older edge cases -----------------------------------------------------------
def pad_cases():
    r = rng_for('Pad')
    i64 = lambda *v: np.array(v, np.int64)
    one('Pad', 'Pad18_constant_axes', 18, 'Pad', [('x', f32(r, 2, 3, 4))],
        inits={'pads': i64(1, 2, 0, 1), 'value': np.array(1.5, np.float32), 'axes': i64(1, -1)}, mode='constant')
    one('Pad', 'Pad18_reflect_axes_neg', 18, 'Pad', [('x', f32(r, 2, 3, 5))],
        inits={'pads': i64(2, 3), 'value': np.array(0, np.float32), 'axes': i64(-1)}, mode='reflect',
        order=['x', 'pads', '', 'axes'])
    one('Pad', 'Pad18_edge_axes', 18, 'Pad', [('x', f32(r, 3, 4))],
        inits={'pads': i64(1, 2), 'axes': i64(0)}, mode='edge', order=['x', 'pads', '', 'axes'])
    one('Pad', 'Pad18_constant_negative_pads', 18, 'Pad', [('x', f32(r, 4, 5))],
        inits={'pads': i64(-1, 1, 2, -2)}, mode='constant')
    one('Pad', 'Pad18_axes_input_int32', 18, 'Pad', [('x', r.integers(-5, 5, (2, 3)).astype(np.int32))],
        inits={'pads': i64(1, 1), 'value': np.array(7, np.int32), 'axes': i64(1)})
    one('Pad', 'Pad19_wrap', 19, 'Pad', [('x', f32(r, 3, 4))], inits={'pads': i64(2, 1, 1, 2)}, mode='wrap')
    one('Pad', 'Pad19_wrap_axes', 19, 'Pad', [('x', f32(r, 2, 3, 4))],
        inits={'pads': i64(1, 3), 'axes': i64(-1)}, mode='wrap', order=['x', 'pads', '', 'axes'])
    one('Pad', 'Pad19_wrap_negative', 19, 'Pad', [('x', f32(r, 4, 5))], inits={'pads': i64(-1, 2, 1, -1)},
        mode='wrap')
    one('Pad', 'Pad13_reflect', 13, 'Pad', [('x', f32(r, 1, 2, 4, 4))], inits={'pads': i64(0, 0, 2, 1, 0, 0, 1, 3)},
        mode='reflect')
    one('Pad', 'Pad13_edge', 13, 'Pad', [('x', f32(r, 2, 3))], inits={'pads': i64(2, 0, 1, 3)}, mode='edge')
    one('Pad', 'Pad13_empty_input', 13, 'Pad', [('x', np.zeros((0, 3), np.float32))],
        inits={'pads': i64(1, 0, 1, 0), 'value': np.array(2, np.float32)})
    one('Pad', 'Pad13_pads_input', 13, 'Pad', [('x', f32(r, 2, 3)), ('pads', i64(0, 1, 2, 0))])


# ---- Resize 13 (old semantics), 18 (antialias, axes, keep_aspect_ratio_policy), 19 ---------------------------
def resize_cases():
    r = rng_for('Resize')
    x = f32(r, 1, 2, 6, 8)
    sc = lambda *v: {'scales': np.array(v, np.float32)}
    sz = lambda *v: {'sizes': np.array(v, np.int64)}
    R = lambda name, opset, inits, **a: one('Resize', name, opset, 'Resize', [('x', x)], inits=inits,
                                            order=['x', 'roi' if 'roi' in inits else '',
                                                   'scales' if 'scales' in inits else ''] +
                                            (['sizes'] if 'sizes' in inits else []), **a)
    R('Resize13_linear_half_pixel_up', 13, sc(1, 1, 2, 1.5), mode='linear')
    R('Resize13_linear_half_pixel_down', 13, sc(1, 1, 0.5, 0.6), mode='linear')
    R('Resize13_nearest_asymmetric_floor', 13, sc(1, 1, 2, 3), mode='nearest',
      coordinate_transformation_mode='asymmetric', nearest_mode='floor')
    R('Resize13_nearest_round_prefer_ceil_down', 13, sc(1, 1, 0.6, 0.7), mode='nearest',
      nearest_mode='round_prefer_ceil')
    R('Resize13_nearest_ceil_align_corners', 13, sz(1, 2, 9, 5), mode='nearest',
      coordinate_transformation_mode='align_corners', nearest_mode='ceil')
    R('Resize13_cubic_align_corners', 13, sz(1, 2, 11, 13), mode='cubic', coordinate_transformation_mode='align_corners')
    R('Resize13_cubic_a05_exclude_outside', 13, sc(1, 1, 1.7, 0.8), mode='cubic', cubic_coeff_a=-0.5,
      exclude_outside=1)
    R('Resize13_linear_pytorch_half_pixel', 13, sz(1, 2, 1, 5), mode='linear',
      coordinate_transformation_mode='pytorch_half_pixel')
    R('Resize13_linear_asymmetric', 13, sc(1, 1, 1.5, 2.5), mode='linear', coordinate_transformation_mode='asymmetric')
    R('Resize13_linear_tf_crop_and_resize', 13,
      {'roi': np.array([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2], np.float32), **sz(1, 2, 5, 7)}, mode='linear',
      coordinate_transformation_mode='tf_crop_and_resize', extrapolation_value=-3.0)
    R('Resize18_antialias_linear_down', 18, sc(1, 1, 0.5, 0.4), mode='linear', antialias=1)
    R('Resize18_antialias_cubic_down', 18, sc(1, 1, 0.6, 0.5), mode='cubic', antialias=1)
    R('Resize18_antialias_linear_up', 18, sc(1, 1, 1.5, 2), mode='linear', antialias=1)
    R('Resize18_axes_scales', 18, {'scales': np.array([2, 0.5], np.float32)}, mode='linear', axes=[2, 3])
    R('Resize18_axes_negative_sizes', 18, {'sizes': np.array([5], np.int64)}, mode='nearest', axes=[-1])
    R('Resize18_keep_aspect_not_larger', 18, {'sizes': np.array([5, 7], np.int64)}, mode='linear', axes=[2, 3],
      keep_aspect_ratio_policy='not_larger')
    R('Resize18_keep_aspect_not_smaller', 18, {'sizes': np.array([5, 7], np.int64)}, mode='linear', axes=[2, 3],
      keep_aspect_ratio_policy='not_smaller')
    R('Resize18_keep_aspect_not_larger_4d_sizes', 18, sz(1, 2, 3, 12), mode='nearest',
      keep_aspect_ratio_policy='not_larger')
    R('Resize18_linear_half_pixel', 18, sc(1, 1, 1.3, 0.7), mode='linear')
    R('Resize19_half_pixel_symmetric_linear', 19, sc(1, 1, 1.6, 0.75), mode='linear',
      coordinate_transformation_mode='half_pixel_symmetric')
    R('Resize19_half_pixel_symmetric_nearest', 19, sz(1, 2, 9, 5), mode='nearest',
      coordinate_transformation_mode='half_pixel_symmetric')
    one('Resize', 'Resize13_uint8_linear', 13, 'Resize', [('x', r.integers(0, 256, (1, 1, 4, 5)).astype(np.uint8))],
        inits=sc(1, 1, 2, 2), order=['x', '', 'scales'], mode='linear')
    # 8-bit linear: ORT interpolates in float and truncates toward zero (on NCHW-like scales; channels-last 4-D
    # scales [1, s, s, 1] take its fixed-point path instead). ORT 1.30 fails at run time on 8-bit cubic.
    one('Resize', 'Resize13_int8_linear_down', 13, 'Resize',
        [('x', r.integers(-128, 128, (1, 2, 7, 9)).astype(np.int8))], inits=sc(1, 1, 0.6, 0.7),
        order=['x', '', 'scales'], mode='linear')
    one('Resize', 'Resize13_uint8_linear_align_corners_5d', 13, 'Resize',
        [('x', r.integers(0, 256, (1, 1, 3, 4, 5)).astype(np.uint8))], inits=sz(1, 1, 5, 7, 6),
        order=['x', '', '', 'sizes'], mode='linear', coordinate_transformation_mode='align_corners')
    one('Resize', 'Resize13_uint8_linear_tf_crop_and_resize', 13, 'Resize',
        [('x', r.integers(0, 256, (1, 2, 5, 6)).astype(np.uint8))],
        inits={'roi': np.array([0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3], np.float32), **sz(1, 2, 7, 8)},
        order=['x', 'roi', '', 'sizes'], mode='linear', coordinate_transformation_mode='tf_crop_and_resize',
        extrapolation_value=77.6)
    one('Resize', 'Resize13_uint8_linear_nhwc_down', 13, 'Resize',
        [('x', r.integers(0, 256, (1, 7, 9, 3)).astype(np.uint8))], inits=sc(1, 0.6, 0.7, 1),
        order=['x', '', 'scales'], mode='linear')
    one('Resize', 'Resize13_int8_linear_nhwc_up', 13, 'Resize',
        [('x', r.integers(-128, 128, (2, 4, 5, 3)).astype(np.int8))], inits=sz(2, 9, 7, 3),
        order=['x', '', '', 'sizes'], mode='linear', coordinate_transformation_mode='pytorch_half_pixel')
    one('Resize', 'Resize13_int8_linear_3d', 13, 'Resize',
        [('x', r.integers(-128, 128, (3, 4, 5)).astype(np.int8))], inits=sc(1.5, 0.8, 1.7),
        order=['x', '', 'scales'], mode='linear', coordinate_transformation_mode='asymmetric')
    one('Resize', 'Resize13_uint8_linear_2d', 13, 'Resize',
        [('x', r.integers(0, 256, (6, 7)).astype(np.uint8))], inits=sc(1.5, 2.2),
        order=['x', '', 'scales'], mode='linear')
    one('Resize', 'Resize13_linear_3d_input', 13, 'Resize', [('x', f32(r, 2, 3, 5))], inits=sc(1, 2, 0.6),
        order=['x', '', 'scales'], mode='linear')


# ---- opset 18: Col2Im, CenterCropPad, GroupNormalization 18/21, Mish, Bitwise; LpPool 18 ----------------------
def col2im_cases():
    r = rng_for('Col2Im')
    for name, c, img, blk, a in [
        ('Col2Im18_basic', 1, (5, 5), (2, 2), {}),
        ('Col2Im18_strides_pads', 2, (5, 6), (2, 3), {'strides': [2, 1], 'pads': [1, 0, 1, 1]}),
        ('Col2Im18_dilations', 2, (6, 6), (2, 2), {'dilations': [2, 1]}),
        ('Col2Im18_all', 3, (7, 5), (3, 2), {'dilations': [1, 2], 'strides': [2, 2], 'pads': [1, 1, 0, 2]}),
    ]:
        d, s, p = a.get('dilations', [1, 1]), a.get('strides', [1, 1]), a.get('pads', [0, 0, 0, 0])
        L = 1
        for i in range(2):
            L *= (img[i] + p[i] + p[i + 2] - d[i] * (blk[i] - 1) - 1) // s[i] + 1
        one('Col2Im', name, 18, 'Col2Im', [('x', f32(r, 2, c * blk[0] * blk[1], L))],
            inits={'image_shape': np.array(img, np.int64), 'block_shape': np.array(blk, np.int64)}, **a)


def centercrop_cases():
    r = rng_for('CenterCropPad')
    i64 = lambda *v: np.array(v, np.int64)
    one('CenterCropPad', 'CenterCropPad18_crop_and_pad', 18, 'CenterCropPad', [('x', f32(r, 5, 6, 3))],
        inits={'shape': i64(3, 9)}, axes=[0, 1])
    one('CenterCropPad', 'CenterCropPad18_all_axes', 18, 'CenterCropPad', [('x', f32(r, 4, 3))],
        inits={'shape': i64(7, 2)})
    one('CenterCropPad', 'CenterCropPad18_neg_axes_odd', 18, 'CenterCropPad', [('x', f32(r, 2, 7, 4))],
        inits={'shape': i64(4, 7)}, axes=[-2, -1])
    one('CenterCropPad', 'CenterCropPad18_int32', 18, 'CenterCropPad',
        [('x', r.integers(-9, 9, (5, 4)).astype(np.int32))], inits={'shape': i64(2, 7)})


def groupnorm_cases():
    r = rng_for('GroupNormalization')
    x = f32(r, 2, 6, 3, 3, scale=2.0) + np.float32(0.5)
    one('GroupNormalization', 'GroupNormalization18_per_group', 18, 'GroupNormalization', [('x', x)],
        inits={'scale': f32(r, 3), 'bias': f32(r, 3)}, num_groups=3)
    one('GroupNormalization', 'GroupNormalization18_eps', 18, 'GroupNormalization', [('x', f32(r, 1, 4, 5))],
        inits={'scale': f32(r, 2), 'bias': f32(r, 2)}, num_groups=2, epsilon=1e-2)
    one('GroupNormalization', 'GroupNormalization21_per_channel', 21, 'GroupNormalization', [('x', x)],
        inits={'scale': f32(r, 6), 'bias': f32(r, 6)}, num_groups=2)
    one('GroupNormalization', 'GroupNormalization21_one_group_stash', 21, 'GroupNormalization',
        [('x', f32(r, 2, 4, 2, 3))], inits={'scale': f32(r, 4), 'bias': f32(r, 4)}, num_groups=1, stash_type=1)
    one('GroupNormalization', 'GroupNormalization21_groups_eq_channels', 21, 'GroupNormalization',
        [('x', f32(r, 1, 3, 4))], inits={'scale': f32(r, 3), 'bias': f32(r, 3)}, num_groups=3)


def activation_cases():
    r = rng_for('activations')
    xs = np.concatenate([f32(r, 20, scale=4), SPECIAL])
    one('Mish', 'Mish18', 18, 'Mish', [('x', xs)])
    one('Mish', 'Mish18_float64', 18, 'Mish', [('x', xs.astype(np.float64))])
    one('Mish', 'Mish18_4d', 18, 'Mish', [('x', f32(r, 1, 2, 3, 4, scale=3))])
    one('Gelu', 'Gelu20_none', 20, 'Gelu', [('x', xs)])
    one('Gelu', 'Gelu20_tanh', 20, 'Gelu', [('x', xs)], approximate='tanh')
    one('Gelu', 'Gelu20_float16', 20, 'Gelu', [('x', f32(r, 3, 5, scale=3).astype(np.float16))])
    for op, a in [('Elu', {'alpha': 0.7}), ('Selu', {}), ('Celu', {'alpha': 1.3}), ('LeakyRelu', {'alpha': 0.05}),
                  ('Softplus', {}), ('Softsign', {}), ('HardSigmoid', {'alpha': 0.3, 'beta': 0.4}),
                  ('HardSwish', {}), ('ThresholdedRelu', {'alpha': 0.5}), ('Erf', {}), ('Sigmoid', {}),
                  ('Tanh', {}), ('Relu', {}), ('Exp', {}), ('Sign', {}), ('Round', {}), ('Abs', {})]:
        one(op, f'{op}_special_values', {'Celu': 12, 'HardSwish': 14}.get(op, 13), op, [('x', xs)], **a)
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.49999997, 0.50000006], np.float32)
    one('Round', 'Round_half_to_even', 11, 'Round', [('x', halves)])
    one('IsNaN', 'IsNaN20', 20, 'IsNaN', [('x', xs)], out_type=BOOL)
    one('IsInf', 'IsInf20_negative_only', 20, 'IsInf', [('x', xs)], out_type=BOOL, detect_positive=0)


def bitwise_cases():
    r = rng_for('Bitwise')
    for op, dt in [('BitwiseAnd', np.int32), ('BitwiseOr', np.uint8), ('BitwiseXor', np.int64),
                   ('BitwiseAnd', np.uint16), ('BitwiseOr', np.int8)]:
        info = np.iinfo(dt)
        a = r.integers(info.min, info.max, (3, 1), dtype=dt, endpoint=True)
        b = r.integers(info.min, info.max, (4,), dtype=dt, endpoint=True)
        one(op, f'{op}18_{np.dtype(dt).name}_broadcast', 18, op, [('a', a), ('b', b)])
    for dt in (np.int8, np.uint16, np.int64, np.uint8):
        info = np.iinfo(dt)
        one('BitwiseNot', f'BitwiseNot18_{np.dtype(dt).name}', 18, 'BitwiseNot',
            [('x', r.integers(info.min, info.max, (2, 5), dtype=dt, endpoint=True))])
    one('BitwiseAnd', 'BitwiseAnd18_empty', 18, 'BitwiseAnd', [('a', np.zeros((0, 3), np.int32)),
                                                               ('b', np.ones((1, 3), np.int32))])
    for d in ('LEFT', 'RIGHT'):
        one('BitShift', f'BitShift_{d.lower()}_uint32', 11, 'BitShift',
            [('a', r.integers(0, 2**32 - 1, (6,), dtype=np.uint32)), ('b', np.arange(6, dtype=np.uint32) * 5)],
            direction=d)


def lppool_cases():
    r = rng_for('LpPool')
    x = f32(r, 1, 2, 7, 6)
    one('LpPool', 'LpPool18_p2', 18, 'LpPool', [('x', x)], kernel_shape=[3, 3])
    one('LpPool', 'LpPool18_p1_strides_pads', 18, 'LpPool', [('x', x)], kernel_shape=[2, 3], p=1, strides=[2, 2],
        pads=[1, 0, 1, 1])
    one('LpPool', 'LpPool18_p3_dilations', 18, 'LpPool', [('x', x)], kernel_shape=[2, 2], p=3, dilations=[2, 2])
    one('LpPool', 'LpPool18_ceil_mode', 18, 'LpPool', [('x', x)], kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1)
    one('LpPool', 'LpPool18_1d', 18, 'LpPool', [('x', f32(r, 2, 3, 9))], kernel_shape=[3], strides=[2])
    one('LpPool', 'LpPool11_same_upper', 11, 'LpPool', [('x', x)], kernel_shape=[3, 3], auto_pad='SAME_UPPER')
    one('GlobalLpPool', 'GlobalLpPool_p3', 2, 'GlobalLpPool', [('x', x)], p=3)


def pool_cases():
    r = rng_for('Pool')
    x = f32(r, 1, 2, 7, 7)
    one('AveragePool', 'AveragePool19_dilations', 19, 'AveragePool', [('x', x)], kernel_shape=[2, 2],
        dilations=[2, 2])
    one('AveragePool', 'AveragePool19_dilations_pads_count_include', 19, 'AveragePool', [('x', x)],
        kernel_shape=[3, 2], dilations=[2, 1], pads=[1, 1, 2, 0], count_include_pad=1)
    one('AveragePool', 'AveragePool19_dilations_pads_ceil', 19, 'AveragePool', [('x', x)], kernel_shape=[2, 3],
        dilations=[1, 2], pads=[1, 1, 1, 1], strides=[2, 2], ceil_mode=1)
    one('AveragePool', 'AveragePool19_1d_dilations', 19, 'AveragePool', [('x', f32(r, 1, 3, 11))],
        kernel_shape=[3], dilations=[3])
    one('AveragePool', 'AveragePool11_ceil_mode_exclude_pad', 11, 'AveragePool', [('x', x)], kernel_shape=[3, 3],
        strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    one('AveragePool', 'AveragePool11_same_lower', 11, 'AveragePool', [('x', x)], kernel_shape=[2, 3],
        auto_pad='SAME_LOWER')
    one('MaxPool', 'MaxPool12_dilations_ceil', 12, 'MaxPool', [('x', x)], kernel_shape=[2, 2], dilations=[2, 2],
        strides=[2, 2], ceil_mode=1)
    case('MaxPool', 'MaxPool12_indices', 12,
         helper.make_node('MaxPool', ['x'], ['y', 'i'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
         [('x', x)], [('y', F32), ('i', I64)])
    one('MaxPool', 'MaxPool12_int8', 12, 'MaxPool', [('x', r.integers(-128, 128, (1, 1, 5, 5)).astype(np.int8))],
        kernel_shape=[2, 2])


# ---- opset 19: DeformConv, Cast saturate / float8 -------------------------------------------------------------
def deformconv_cases():
    r = rng_for('DeformConv')

    def dc(name, cin, cout, hw, k, group=1, og=1, strides=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1), bias=True,
           mask=True):
        oh = (hw[0] + pads[0] + pads[2] - dil[0] * (k[0] - 1) - 1) // strides[0] + 1
        ow = (hw[1] + pads[1] + pads[3] - dil[1] * (k[1] - 1) - 1) // strides[1] + 1
        ins = [('x', f32(r, 1, cin, *hw)), ('w', f32(r, cout, cin // group, *k)),
               ('offset', f32(r, 1, 2 * og * k[0] * k[1], oh, ow, scale=0.7))]
        order = ['x', 'w', 'offset']
        if bias:
            ins.append(('b', f32(r, cout)))
        order.append('b' if bias else '')
        if mask:
            ins.append(('mask', r.random((1, og * k[0] * k[1], oh, ow)).astype(np.float32)))
            order.append('mask')
        one('DeformConv', name, 19, 'DeformConv', ins, order=order, kernel_shape=list(k), group=group,
            offset_group=og, strides=list(strides), pads=list(pads), dilations=list(dil))

    dc('DeformConv19_basic', 2, 3, (5, 5), (3, 3))
    dc('DeformConv19_no_bias_no_mask', 2, 2, (4, 5), (2, 2), bias=False, mask=False)
    dc('DeformConv19_strides_pads', 3, 4, (6, 6), (3, 3), strides=(2, 2), pads=(1, 1, 1, 1))
    dc('DeformConv19_groups', 4, 4, (5, 5), (3, 3), group=2, og=2)
    dc('DeformConv19_dilations', 2, 3, (7, 6), (2, 2), dil=(2, 2), og=2)


# The top of each float8 range, where saturate=0 decides between the largest finite value, NaN and infinity:
# E4M3FN 448 (ties at 464; ORT gives 448 for [480, 496)), E4M3FNUZ 240, E5M2/E5M2FNUZ 57344 (ties at 61440; ORT gives
# E5M2 NaN for [61440, 65536), infinity above), and both signs.
F8_BOUNDARY = np.array([448, 449, 463.9, 464, 465, 479.9, 480, 495.9, 496, 1e9, 240, 247.9, 248, 57344, 61439,
                        61440, 65535, 65536], np.float32)
F8_BOUNDARY = np.concatenate([F8_BOUNDARY, -F8_BOUNDARY])


def cast_cases():
    r = rng_for('Cast')
    vals = np.concatenate([np.array([-1e6, -500, -448, -300, -57344, 70000, 57344, 448, 240, 241, 300, 1e-9, -1e-3,
                                     0.3, 1.7, 2.25, 0.0, -0.0, 0.001953125, 1e-5, np.inf, -np.inf, np.nan],
                                    np.float32), f32(r, 24, scale=60)])
    with np.errstate(over='ignore'):
        vals16 = vals.astype(np.float16)
    for to, tname in [(FLOAT8E4M3FN, 'e4m3fn'), (FLOAT8E4M3FNUZ, 'e4m3fnuz'), (FLOAT8E5M2, 'e5m2'),
                      (FLOAT8E5M2FNUZ, 'e5m2fnuz')]:
        for sat in (1, 0):
            case('Cast', f'Cast19_float_to_{tname}_saturate{sat}', 19,
                 [helper.make_node('Cast', ['x'], ['f8'], to=to, saturate=sat),
                  helper.make_node('Cast', ['f8'], ['y'], to=F32)], [('x', vals)], [('y', F32)])
        case('Cast', f'Cast19_float16_to_{tname}', 19,
             [helper.make_node('Cast', ['x'], ['f8'], to=to), helper.make_node('Cast', ['f8'], ['y'], to=F16)],
             [('x', vals16)], [('y', F16)])
    for to, tname in [(FLOAT8E4M3FN, 'e4m3fn'), (FLOAT8E4M3FNUZ, 'e4m3fnuz'), (FLOAT8E5M2, 'e5m2'),
                      (FLOAT8E5M2FNUZ, 'e5m2fnuz')]:
        for sat in (1, 0):
            case('Cast', f'Cast19_float_to_{tname}_boundary_saturate{sat}', 19,
                 [helper.make_node('Cast', ['x'], ['f8'], to=to, saturate=sat),
                  helper.make_node('Cast', ['f8'], ['y'], to=F32)], [('x', F8_BOUNDARY)], [('y', F32)])
    case('CastLike', 'CastLike19_e4m3fn_saturate0', 19,
         [helper.make_node('CastLike', ['x', 'like'], ['f8'], saturate=0), helper.make_node('Cast', ['f8'], ['y'],
                                                                                              to=F32)],
         [('x', vals)], [('y', F32)], {'like': raw_tensor('like', FLOAT8E4M3FN, [1], b'\x00')})
    one('Cast', 'Cast19_float_to_float16_overflow', 19, 'Cast', [('x', vals)], out_type=F16, to=F16)
    one('Cast', 'Cast19_float_to_bool', 19, 'Cast', [('x', vals)], out_type=BOOL, to=BOOL)
    one('Cast', 'Cast19_float64_to_float', 19, 'Cast', [('x', np.array([1e300, -1e300, 1e-300, 3.141592653589793,
                                                                          np.nan], np.float64))], out_type=F32, to=F32)
    one('Cast', 'Cast19_int64_to_float16', 19, 'Cast', [('x', np.array([0, 2049, 65504, 65520, 100000, -3],
                                                                         np.int64))], out_type=F16, to=F16)
    one('Cast', 'Cast19_uint8_to_int8', 19, 'Cast', [('x', np.arange(0, 256, 17, dtype=np.uint8))], out_type=I8,
        to=I8)
    one('Cast', 'Cast19_string_to_float', 19, 'Cast',
        [('x', np.array(['1.5', '-2', '1e3', 'inf', '-INF', 'NaN', '0.1', '  7'], dtype=object))], out_type=F32,
        to=F32)
    one('Cast', 'Cast19_int32_to_string', 19, 'Cast', [('x', np.array([0, -7, 2147483647, 42], np.int32))],
        out_type=STR, to=STR)
    one('Cast', 'Cast13_float_to_int32_truncates', 13, 'Cast',
        [('x', np.array([1.9, -1.9, 0.5, -0.5, 1e5, -2.5], np.float32))], out_type=I32, to=I32)


# ---- opset 20: AffineGrid, GridSample, DFT, ConstantOfShape, Gelu (above), string ops --------------------------
def affinegrid_cases():
    r = rng_for('AffineGrid')
    for ac in (0, 1):
        one('AffineGrid', f'AffineGrid20_2d_align{ac}', 20, 'AffineGrid', [('theta', f32(r, 2, 2, 3))],
            inits={'size': np.array([2, 1, 4, 5], np.int64)}, align_corners=ac)
        one('AffineGrid', f'AffineGrid20_3d_align{ac}', 20, 'AffineGrid', [('theta', f32(r, 1, 3, 4))],
            inits={'size': np.array([1, 2, 3, 4, 2], np.int64)}, align_corners=ac)
    one('AffineGrid', 'AffineGrid20_float64', 20, 'AffineGrid', [('theta', f32(r, 1, 2, 3).astype(np.float64))],
        inits={'size': np.array([1, 3, 3, 2], np.int64)})


def gridsample_cases():
    r = rng_for('GridSample')
    x = f32(r, 1, 2, 4, 5)
    grid = (r.random((1, 3, 6, 2)) * 2.6 - 1.3).astype(np.float32)
    for mode in ('linear', 'nearest', 'cubic'):
        for pad in ('zeros', 'border', 'reflection'):
            for ac in (0, 1):
                one('GridSample', f'GridSample20_{mode}_{pad}_align{ac}', 20, 'GridSample',
                    [('x', x), ('grid', grid)], mode=mode, padding_mode=pad, align_corners=ac)
    one('GridSample', 'GridSample20_5d_linear', 20, 'GridSample',
        [('x', f32(r, 1, 2, 3, 4, 5)), ('grid', (r.random((1, 2, 3, 4, 3)) * 2.4 - 1.2).astype(np.float32))],
        mode='linear', padding_mode='border')
    one('GridSample', 'GridSample20_5d_nearest', 20, 'GridSample',
        [('x', f32(r, 1, 1, 3, 4, 5)), ('grid', (r.random((1, 2, 2, 3, 3)) * 2.4 - 1.2).astype(np.float32))],
        mode='nearest', align_corners=1)
    one('GridSample', 'GridSample16_bilinear', 16, 'GridSample', [('x', x), ('grid', grid)])
    one('GridSample', 'GridSample16_bicubic_reflection', 16, 'GridSample', [('x', x), ('grid', grid)],
        mode='bicubic', padding_mode='reflection')
    one('GridSample', 'GridSample16_nearest_border_align', 16, 'GridSample', [('x', x), ('grid', grid)],
        mode='nearest', padding_mode='border', align_corners=1)


def dft_cases():
    r = rng_for('DFT')
    real = f32(r, 2, 8, 1)
    cplx = f32(r, 2, 8, 2)
    ax = lambda v: np.array(v, np.int64)
    D = lambda name, opset, x, inits, order, **a: one('DFT', name, opset, 'DFT', [('x', x)], inits=inits,
                                                     order=order, **a)
    D('DFT20_real_axis1', 20, real, {'axis': ax(1)}, ['x', '', 'axis'])
    D('DFT20_real_onesided', 20, real, {'axis': ax(1)}, ['x', '', 'axis'], onesided=1)
    D('DFT20_complex_inverse', 20, cplx, {'axis': ax(1)}, ['x', '', 'axis'], inverse=1)
    D('DFT20_complex_axis0', 20, f32(r, 6, 3, 2), {'axis': ax(0)}, ['x', '', 'axis'])
    D('DFT20_axis_negative', 20, f32(r, 2, 5, 2), {'axis': ax(-2)}, ['x', '', 'axis'])
    D('DFT20_dft_length_pad', 20, real, {'len': ax(10), 'axis': ax(1)}, ['x', 'len', 'axis'])
    D('DFT20_dft_length_truncate', 20, cplx, {'len': ax(5), 'axis': ax(1)}, ['x', 'len', 'axis'])
    D('DFT20_default_axis', 20, f32(r, 3, 7, 2), {}, ['x'])
    D('DFT20_odd_length_onesided', 20, f32(r, 1, 9, 1), {'axis': ax(1)}, ['x', '', 'axis'], onesided=1)
    D('DFT20_float64', 20, cplx.astype(np.float64), {'axis': ax(1)}, ['x', '', 'axis'])
    D('DFT17_axis_attr', 17, f32(r, 2, 3, 6, 2), {}, ['x'], axis=2)
    D('DFT17_inverse_real', 17, f32(r, 1, 6, 1), {}, ['x'], inverse=1)


def constantofshape_cases():
    shp = lambda *v: np.array(v, np.int64)
    for name, opset, value, t in [
        ('ConstantOfShape20_float16', 20, numpy_helper.from_array(np.array([1.5], np.float16), 'value'), F16),
        ('ConstantOfShape20_int8', 20, numpy_helper.from_array(np.array([-3], np.int8), 'value'), I8),
        ('ConstantOfShape20_bool', 20, numpy_helper.from_array(np.array([True]), 'value'), BOOL),
        ('ConstantOfShape20_default', 20, None, F32),
        ('ConstantOfShape20_uint16', 20, numpy_helper.from_array(np.array([65535], np.uint16), 'value'),
         TensorProto.UINT16),
    ]:
        a = {} if value is None else {'value': value}
        one('ConstantOfShape', name, opset, 'ConstantOfShape', [('shape', shp(2, 3, 4))], out_type=t, **a)
    one('ConstantOfShape', 'ConstantOfShape20_empty_dim', 20, 'ConstantOfShape', [('shape', shp(2, 0, 3))],
        out_type=F32, value=numpy_helper.from_array(np.array([4], np.float32), 'value'))
    one('ConstantOfShape', 'ConstantOfShape20_scalar', 20, 'ConstantOfShape', [('shape', np.zeros((0,), np.int64))],
        out_type=I64, value=numpy_helper.from_array(np.array([9], np.int64), 'value'))
    # ONNX Runtime 1.30 has no ConstantOfShape for float8 (20) or int4/uint4 (21) values: no reference for those.


def string_cases():
    S = lambda *v: np.array(v, dtype=object)
    words = S('apple', 'Banana', 'cherry pie', '', 'a1b2', 'APPLE')
    one('RegexFullMatch', 'RegexFullMatch20_letters', 20, 'RegexFullMatch', [('x', words)], out_type=BOOL,
        pattern='[a-z]+')
    one('RegexFullMatch', 'RegexFullMatch20_alternation_2d', 20, 'RegexFullMatch', [('x', words.reshape(2, 3))],
        out_type=BOOL, pattern='(?i)apple|a\\d\\w\\d')
    one('RegexFullMatch', 'RegexFullMatch20_empty_pattern', 20, 'RegexFullMatch', [('x', words)], out_type=BOOL,
        pattern='')
    one('StringConcat', 'StringConcat20', 20, 'StringConcat', [('a', S('ab', '', 'x')), ('b', S('1', '2', ''))])
    one('StringConcat', 'StringConcat20_broadcast', 20, 'StringConcat',
        [('a', S('a', 'bb').reshape(2, 1)), ('b', S('_x', '_y', '_z'))])
    one('StringConcat', 'StringConcat20_unicode', 20, 'StringConcat', [('a', S('grüß', '東京')), ('b', S('e', '!'))])
    for name, x, a in [('StringSplit20_delimiter', S('a,b,c', 'd', '', ',e,'), {'delimiter': ','}),
                       ('StringSplit20_maxsplit', S('a,b,c', 'd,e', 'f'), {'delimiter': ',', 'maxsplit': 1}),
                       ('StringSplit20_whitespace', S(' hello  world ', 'one', '   '), {}),
                       ('StringSplit20_multichar_2d', S('a--b', '--', 'c--d--e', 'x').reshape(2, 2),
                        {'delimiter': '--'})]:
        one('StringSplit', name, 20, 'StringSplit', [('x', x)], n_out=2, out_types=[STR, I64], **a)
    one('StringNormalizer', 'StringNormalizer_lower_stopwords', 10, 'StringNormalizer',
        [('x', S('Monday', 'the', 'Tuesday', 'THE'))], case_change_action='LOWER', stopwords=['the'], locale='C.UTF-8')


# ---- opset 21: int4/uint4, blocked QuantizeLinear / DequantizeLinear ------------------------------------------
def qdq_cases():
    r = rng_for('QDQ')
    x = f32(r, 4, 6, scale=3)
    sc = lambda *shape: (r.random(shape) * 0.4 + 0.1).astype(np.float32)

    def q_dq(name, suite, opset, x, scale, zp, qattrs, dqattrs=None, cast_to=None):
        zp_name = [] if zp is None else ['zp']
        nodes = [helper.make_node('QuantizeLinear', ['x', 's'] + zp_name, ['q'], **qattrs),
                 helper.make_node('DequantizeLinear', ['q', 's'] + zp_name, ['y'], **(qattrs if dqattrs is None else dqattrs))]
        outs = [('y', F32)]
        if cast_to is not None:
            nodes.append(helper.make_node('Cast', ['q'], ['qi'], to=cast_to))
            outs.append(('qi', cast_to))
        inits = {'s': scale}
        if zp is not None:
            inits['zp'] = zp
        case(suite, name, opset, nodes, [('x', x)], outs, inits)

    for t, tname, lo, hi in [(INT4, 'int4', -8, 7), (UINT4, 'uint4', 0, 15)]:
        qa = {'axis': 1, 'block_size': 2}
        zp = r.integers(lo, hi + 1, (4, 3))
        q_dq(f'QDQ21_{tname}_blocked_axis1', 'QuantizeLinear', 21, x, sc(4, 3), raw_tensor('zp', t, [4, 3], pack4(zp)),
             qa, cast_to=I8 if t == INT4 else U8)
        q_dq(f'QDQ21_{tname}_per_tensor', 'QuantizeLinear', 21, x, np.array(0.5, np.float32),
             raw_tensor('zp', t, [], pack4([lo + 3])), {}, cast_to=I8 if t == INT4 else U8)
        q_dq(f'QDQ21_{tname}_per_axis0', 'QuantizeLinear', 21, x, sc(4), raw_tensor('zp', t, [4], pack4([lo, hi, 0, 1]
                                                                                                      if lo < 0 else
                                                                                                      [0, 15, 3, 8])),
             {'axis': 0})
        q_dq(f'QDQ21_{tname}_output_dtype', 'QuantizeLinear', 21, x, sc(6),
             None, {'axis': 1, 'output_dtype': t}, dqattrs={'axis': 1}, cast_to=I8 if t == INT4 else U8)
        w = r.integers(lo, hi + 1, (6, 4))
        case('DequantizeLinear', f'DequantizeLinear21_{tname}_blocked_axis0', 21,
             helper.make_node('DequantizeLinear', ['w', 's', 'zp'], ['y'], axis=0, block_size=3),
             [], [('y', F32)], {'w': raw_tensor('w', t, [6, 4], pack4(w)), 's': sc(2, 4),
                                'zp': raw_tensor('zp', t, [2, 4], pack4(r.integers(lo, hi + 1, (2, 4))))})
    q_dq('QDQ21_int8_blocked_axis0_uneven', 'QuantizeLinear', 21, f32(r, 5, 3, scale=20), sc(3, 3),
         r.integers(-10, 10, (3, 3)).astype(np.int8), {'axis': 0, 'block_size': 2}, cast_to=I32)
    q_dq('QDQ21_uint8_blocked_neg_axis', 'QuantizeLinear', 21, f32(r, 2, 8, scale=20), sc(2, 2),
         r.integers(100, 150, (2, 2)).astype(np.uint8), {'axis': -1, 'block_size': 4}, cast_to=I32)
    q_dq('QDQ21_int16', 'QuantizeLinear', 21, f32(r, 3, 4, scale=1000), np.array(0.01, np.float32),
         np.array(5, np.int16), {}, cast_to=I32)
    q_dq('QDQ21_uint16_per_axis', 'QuantizeLinear', 21, f32(r, 3, 4, scale=1000), sc(4) * 10,
         np.array([30000, 0, 65535, 100], np.uint16), {'axis': 1}, cast_to=I32)
    for t, tname in [(FLOAT8E4M3FN, 'e4m3fn'), (FLOAT8E5M2, 'e5m2')]:
        for sat in (1, 0):
            q_dq(f'QDQ21_{tname}_saturate{sat}', 'QuantizeLinear', 21, f32(r, 3, 5, scale=300),
                 np.array(0.5, np.float32), raw_tensor('zp', t, [], b'\x00'), {'saturate': sat}, dqattrs={})
    for t, tname in [(FLOAT8E4M3FN, 'e4m3fn'), (FLOAT8E4M3FNUZ, 'e4m3fnuz'), (FLOAT8E5M2, 'e5m2'),
                     (FLOAT8E5M2FNUZ, 'e5m2fnuz')]:
        for sat in (1, 0):
            q_dq(f'QDQ21_{tname}_boundary_saturate{sat}', 'QuantizeLinear', 21, F8_BOUNDARY / 2,
                 np.array(0.5, np.float32), raw_tensor('zp', t, [], b'\x00'), {'saturate': sat}, dqattrs={})
    halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300, -300, 127.5, -128.5, np.inf, -np.inf], np.float32)
    q_dq('QDQ13_int8_round_half_even_saturate', 'QuantizeLinear', 13, halves, np.array(1, np.float32),
         np.array(0, np.int8), {}, cast_to=I32)
    q_dq('QDQ13_uint8_per_axis', 'QuantizeLinear', 13, f32(r, 2, 3, 4, scale=5), sc(3),
         np.array([0, 128, 255], np.uint8), {'axis': 1}, cast_to=I32)
    one('DequantizeLinear', 'DequantizeLinear21_int32', 21, 'DequantizeLinear',
        [('x', r.integers(-100000, 100000, (3, 4)).astype(np.int32))], out_type=F32,
        inits={'s': np.array(0.001, np.float32)})


# ---- older operators where edge cases matter -----------------------------------------------------------------
def misc_cases():
    r = rng_for('misc')
    i64 = lambda *v: np.array(v, np.int64)
    one('Gather', 'Gather13_negative_indices', 13, 'Gather', [('x', f32(r, 5, 3)), ('i', i64(-1, 0, -5, 2))],
        axis=0)
    one('Gather', 'Gather13_scalar_index_axis1', 13, 'Gather', [('x', f32(r, 2, 4, 3)), ('i', np.array(-2, np.int64))],
        axis=1)
    one('Gather', 'Gather13_empty_indices', 13, 'Gather', [('x', f32(r, 4, 3)), ('i', np.zeros((0, 2), np.int64))])
    one('GatherElements', 'GatherElements13_negative', 13, 'GatherElements',
        [('x', f32(r, 3, 4)), ('i', np.array([[-1, 0], [2, -4], [1, 1]], np.int64))], axis=1)
    one('GatherND', 'GatherND13_batch_dims', 13, 'GatherND',
        [('x', f32(r, 2, 3, 4)), ('i', np.array([[[1, -1]], [[0, 2]]], np.int64))], batch_dims=1)
    one('Slice', 'Slice13_negative_steps', 13, 'Slice', [('x', f32(r, 5, 6))],
        inits={'s': i64(-1, 100), 'e': i64(-100, 0), 'a': i64(0, 1), 'st': i64(-2, -3)})
    one('Slice', 'Slice13_empty_result', 13, 'Slice', [('x', f32(r, 4, 3))], inits={'s': i64(3), 'e': i64(1)})
    one('Slice', 'Slice13_clamped_bounds', 13, 'Slice', [('x', f32(r, 4, 5))],
        inits={'s': i64(-10, 2), 'e': i64(10, 2**62), 'a': i64(-2, -1)})
    one('Where', 'Where16_broadcast3', 16, 'Where',
        [('c', r.integers(0, 2, (3, 1)).astype(np.bool_)), ('a', f32(r, 1, 4)), ('b', np.float32([7]))],
        out_type=F32)
    one('Clip', 'Clip13_min_gt_max_and_nan', 13, 'Clip', [('x', SPECIAL)],
        inits={'lo': np.array(1, np.float32), 'hi': np.array(-1, np.float32)})
    one('Clip', 'Clip13_int32_min_only', 13, 'Clip', [('x', r.integers(-9, 9, (8,)).astype(np.int32))],
        inits={'lo': np.array(-2, np.int32)})
    row = f32(r, 3, 5)
    row[1] = -np.inf
    row[2, 1] = np.inf
    one('Softmax', 'Softmax13_inf_rows', 13, 'Softmax', [('x', row)])
    one('LogSoftmax', 'LogSoftmax13_axis0_large', 13, 'LogSoftmax', [('x', f32(r, 4, 3, scale=1000))], axis=0)
    x = f32(r, 3, 4)
    for red in ('max', 'min'):
        one('ScatterElements', f'ScatterElements18_reduction_{red}', 18, 'ScatterElements',
            [('x', x), ('i', np.array([[0, -1, 1], [2, 2, 0]], np.int64)), ('u', f32(r, 2, 3))], axis=0,
            reduction=red)
        one('ScatterND', f'ScatterND18_reduction_{red}', 18, 'ScatterND',
            [('x', x), ('i', np.array([[1], [1], [-3]], np.int64)), ('u', f32(r, 3, 4))], reduction=red)
    one('ScatterND', 'ScatterND16_add_duplicates', 16, 'ScatterND',
        [('x', x), ('i', np.array([[0, 1], [0, 1], [2, 3]], np.int64)), ('u', f32(r, 3))], reduction='add')
    one('CumSum', 'CumSum14_reverse_exclusive', 14, 'CumSum', [('x', f32(r, 3, 4))], inits={'a': np.array(-1, np.int64)},
        reverse=1, exclusive=1)
    one('CumSum', 'CumSum14_int64', 14, 'CumSum', [('x', r.integers(-9, 9, (5,)).astype(np.int64))],
        inits={'a': np.array(0, np.int32)})
    one('Trilu', 'Trilu14_upper_negative_k', 14, 'Trilu', [('x', f32(r, 2, 4, 5))], inits={'k': np.array(-1, np.int64)})
    one('Trilu', 'Trilu14_lower_big_k', 14, 'Trilu', [('x', f32(r, 3, 4))], inits={'k': np.array(2, np.int64)}, upper=0)
    ties = np.array([[3, 1, 3, 2, 3], [0, 0, 5, 5, 1]], np.float32)
    case('TopK', 'TopK11_smallest_ties', 11, helper.make_node('TopK', ['x', 'k'], ['v', 'i'], largest=0),
         [('x', ties)], [('v', F32), ('i', I64)], {'k': i64(3)})
    case('TopK', 'TopK11_largest_ties_axis0', 11, helper.make_node('TopK', ['x', 'k'], ['v', 'i'], axis=0),
         [('x', ties)], [('v', F32), ('i', I64)], {'k': i64(1)})
    one('ArgMax', 'ArgMax13_select_last_index', 13, 'ArgMax', [('x', ties)], out_type=I64, axis=1,
        select_last_index=1)
    one('ArgMin', 'ArgMin13_first_index_keepdims0', 13, 'ArgMin', [('x', ties)], out_type=I64, axis=-1, keepdims=0)
    ints = lambda: np.array([-7, 7, -7, 7, 5, -5, 0], np.int32)
    one('Mod', 'Mod13_int_sign_of_divisor', 13, 'Mod', [('a', ints()), ('b', np.array([3, -3, -3, 3, -2, 2, 4],
                                                                                     np.int32))])
    one('Mod', 'Mod13_fmod_float', 13, 'Mod', [('a', np.array([-7.5, 7.5, -0.0, 5.25], np.float32)),
                                                ('b', np.array([2, -2, 3, -0.5], np.float32))], fmod=1)
    one('Expand', 'Expand13_broadcast_up', 13, 'Expand', [('x', f32(r, 3, 1))], inits={'s': i64(2, 1, 4)})
    one('Concat', 'Concat13_with_empty', 13, 'Concat', [('a', f32(r, 2, 3)), ('b', np.zeros((0, 3), np.float32)),
                                                         ('c', f32(r, 1, 3))], axis=-2)
    one('MatMul', 'MatMul13_batch_broadcast', 13, 'MatMul', [('a', f32(r, 2, 1, 3, 4)), ('b', f32(r, 5, 4, 2))])
    one('MatMul', 'MatMul13_vector_matrix', 13, 'MatMul', [('a', f32(r, 4)), ('b', f32(r, 3, 4, 2))])
    one('MatMul', 'MatMul13_empty_k', 13, 'MatMul', [('a', np.zeros((3, 0), np.float32)),
                                                     ('b', np.zeros((0, 2), np.float32))])
    one('Einsum', 'Einsum12_batched', 12, 'Einsum', [('a', f32(r, 2, 3, 4)), ('b', f32(r, 2, 4, 5))],
        equation='bij,bjk->bik')
    one('Einsum', 'Einsum12_diagonal', 12, 'Einsum', [('a', f32(r, 4, 4))], equation='ii->i')
    one('Einsum', 'Einsum12_outer_transpose', 12, 'Einsum', [('a', f32(r, 3)), ('b', f32(r, 2))], equation='i,j->ji')
    one('Range', 'Range11_negative_delta', 11, 'Range', [],
        inits={'s': np.array(5, np.float32), 'l': np.array(-2.5, np.float32), 'd': np.array(-1.5, np.float32)},
        out_type=F32)
    one('Range', 'Range11_empty', 11, 'Range', [], inits={'s': np.array(5, np.int64), 'l': np.array(2, np.int64),
                                                        'd': np.array(1, np.int64)}, out_type=I64)
    one('NonZero', 'NonZero13_float_with_nan', 13, 'NonZero', [('x', np.array([[0, np.nan, -0.0], [1, 0, 2]],
                                                                              np.float32))], out_type=I64)
    one('Shape', 'Shape15_start_end_negative', 15, 'Shape', [('x', f32(r, 2, 3, 4, 5))], out_type=I64, start=-3,
        end=-1)
    one('Shape', 'Shape15_start_past_end', 15, 'Shape', [('x', f32(r, 2, 3))], out_type=I64, start=1, end=0)
    one('Pow', 'Pow15_int_negative_base', 15, 'Pow', [('a', np.array([-3, -2, 2, 5], np.int32)),
                                                      ('b', np.array([3, 2, 0, 1], np.int32))])
    one('Pow', 'Pow15_float_special', 15, 'Pow', [('a', np.array([-8, 0, -0.0, 2, np.nan, 1, np.inf], np.float32)),
                                                  ('b', np.array([1 / 3, -1, -1, 0.5, 0, np.nan, -2], np.float32))])
    one('Max', 'Max13_variadic_broadcast', 13, 'Max', [('a', f32(r, 3, 1)), ('b', f32(r, 4)), ('c', f32(r, 1, 1))])
    one('Min', 'Min13_int64', 13, 'Min', [('a', r.integers(-9, 9, (2, 3)).astype(np.int64)),
                                          ('b', r.integers(-9, 9, (3,)).astype(np.int64))])
    one('Div', 'Div14_int_truncation', 14, 'Div', [('a', np.array([7, -7, 7, -7], np.int32)),
                                                   ('b', np.array([2, 2, -2, -2], np.int32))])
    one('Div', 'Div14_float_by_zero', 14, 'Div', [('a', np.array([1, -1, 0, np.nan], np.float32)),
                                                  ('b', np.array([0, 0, 0, 1], np.float32))])
    one('LayerNormalization', 'LayerNormalization17_axis_neg2', 17, 'LayerNormalization', [('x', f32(r, 2, 3, 4))],
        inits={'s': f32(r, 3, 4), 'b': f32(r, 3, 4)}, axis=-2)
    one('InstanceNormalization', 'InstanceNormalization6_constant_channel', 6, 'InstanceNormalization',
        [('x', np.concatenate([f32(r, 1, 1, 3, 3), np.full((1, 1, 3, 3), 2, np.float32)], axis=1))],
        inits={'s': f32(r, 2), 'b': f32(r, 2)})
    one('Flatten', 'Flatten13_axis0', 13, 'Flatten', [('x', f32(r, 2, 3, 4))], axis=0)
    one('Flatten', 'Flatten13_axis_neg1', 13, 'Flatten', [('x', f32(r, 2, 3, 4))], axis=-1)
    one('Squeeze', 'Squeeze13_negative_axes', 13, 'Squeeze', [('x', f32(r, 1, 3, 1, 2))], inits={'a': i64(-2, 0)})
    one('Unsqueeze', 'Unsqueeze13_negative_unsorted', 13, 'Unsqueeze', [('x', f32(r, 3, 2))], inits={'a': i64(-1, 0)})
    one('DepthToSpace', 'DepthToSpace13_crd', 13, 'DepthToSpace', [('x', f32(r, 1, 8, 2, 3))], blocksize=2,
        mode='CRD')
    one('DepthToSpace', 'DepthToSpace13_dcr', 13, 'DepthToSpace', [('x', f32(r, 1, 8, 2, 3))], blocksize=2)
    one('SpaceToDepth', 'SpaceToDepth13', 13, 'SpaceToDepth', [('x', f32(r, 1, 2, 4, 6))], blocksize=2)
    one('Transpose', 'Transpose13_default_perm', 13, 'Transpose', [('x', f32(r, 2, 3, 4))])
    one('Tile', 'Tile13_zero_repeat', 13, 'Tile', [('x', f32(r, 2, 3))], inits={'n': i64(0, 2)})
    one('ReverseSequence', 'ReverseSequence10_batch_major', 10, 'ReverseSequence',
        [('x', f32(r, 3, 4, 2)), ('l', i64(4, 1, 2))], batch_axis=0, time_axis=1)
    one('OneHot', 'OneHot11_negative_indices', 11, 'OneHot', [('i', i64(0, -1, 2, -3))],
        inits={'d': np.array(3, np.int64), 'v': np.array([-1, 5], np.float32)}, out_type=F32, axis=0)
    one('EyeLike', 'EyeLike9_offset', 9, 'EyeLike', [('x', f32(r, 3, 5))], k=-1)
    one('Unique', 'Unique11_sorted', 11, 'Unique', [('x', np.array([2, 1, 1, 3, 4, 3], np.float32))], n_out=4,
        out_types=[F32, I64, I64, I64], sorted=1)
    one('Hardmax', 'Hardmax13_ties', 13, 'Hardmax', [('x', ties)])
    one('Conv', 'Conv11_asymmetric_pads_dilations', 11, 'Conv', [('x', f32(r, 1, 2, 7, 6)), ('w', f32(r, 3, 2, 3, 2))],
        pads=[2, 0, 0, 1], dilations=[2, 1], strides=[1, 2])
    one('ConvTranspose', 'ConvTranspose11_output_padding', 11, 'ConvTranspose',
        [('x', f32(r, 1, 2, 3, 4)), ('w', f32(r, 2, 3, 3, 3))], strides=[2, 2], output_padding=[1, 0], pads=[1, 0, 0, 1])
    one('Gemm', 'Gemm13_transposed_broadcast_c', 13, 'Gemm', [('a', f32(r, 4, 3)), ('b', f32(r, 5, 4))],
        inits={'c': f32(r, 5)}, transA=1, transB=1, alpha=0.5, beta=2.0)
    one('Sum', 'Sum13_float16', 13, 'Sum', [('a', f32(r, 3, 4).astype(np.float16)),
                                            ('b', f32(r, 4).astype(np.float16))])
    one('Add', 'Add14_uint8_wraps', 14, 'Add', [('a', np.array([250, 3, 128], np.uint8)),
                                                ('b', np.array([10, 255, 128], np.uint8))])


# ---- seeded random shapes: broadcasting binary operators, float16 variants, NaN through reductions -------------
def random_shape_cases():
    r = rng_for('broadcast')

    def shapes():
        rank = int(r.integers(0, 5))
        out = [int(d) for d in r.integers(1, 5, rank)]
        a = [d if r.random() < 0.6 else 1 for d in out]
        b = [d if r.random() < 0.6 else 1 for d in out][int(r.integers(0, rank + 1)):]
        return a, b

    for op, dt in [('Add', np.float32), ('Sub', np.int64), ('Mul', np.float64), ('Div', np.float32),
                   ('Pow', np.float32), ('Max', np.int32), ('Min', np.float32), ('Equal', np.int32),
                   ('Less', np.float32), ('GreaterOrEqual', np.int64), ('And', np.bool_), ('Xor', np.bool_),
                   ('BitwiseXor', np.uint8), ('PRelu', np.float32), ('Mod', np.int32)]:
        for k in range(3):
            a, b = shapes()
            if op == 'PRelu':  # slope broadcasts to x (unidirectional)
                b = b[len(b) - min(len(b), len(a)):] if len(b) > len(a) else b
                b = [1 if (i >= len(a) or bd != a[len(a) - len(b) + i]) else bd for i, bd in enumerate(b)]
            def gen(shape):
                if dt == np.bool_:
                    return r.integers(0, 2, shape).astype(np.bool_)
                if np.issubdtype(dt, np.integer):
                    v = r.integers(-20 if dt != np.uint8 else 0, 20, shape).astype(dt)
                    return np.where(v == 0, 1, v).astype(dt) if op == 'Mod' else v
                v = r.standard_normal(shape).astype(dt)
                return np.abs(v) + dt(0.5) if op == 'Pow' else v
            out_type = BOOL if op in ('Equal', 'Less', 'GreaterOrEqual') else None
            one(op, f'{op}_random_broadcast{k}_{np.dtype(dt).name}', {'PRelu': 16, 'BitwiseXor': 18}.get(op, 14), op,
                [('a', gen(tuple(a))), ('b', gen(tuple(b)))], out_type=out_type)
    r = rng_for('float16')
    h = lambda *shape: (r.standard_normal(shape) * 2).astype(np.float16)
    one('ReduceMean', 'ReduceMean18_float16', 18, 'ReduceMean', [('x', h(3, 8))],
        inits={'axes': np.array([1], np.int64)})
    one('Softmax', 'Softmax13_float16', 13, 'Softmax', [('x', h(2, 7))])
    one('Mish', 'Mish18_float16', 18, 'Mish', [('x', h(4, 5))])
    one('LayerNormalization', 'LayerNormalization17_float16', 17, 'LayerNormalization', [('x', h(2, 3, 8))],
        inits={'s': h(8), 'b': h(8)})
    one('Resize', 'Resize13_float16_linear', 13, 'Resize', [('x', h(1, 1, 3, 4))],
        inits={'scales': np.array([1, 1, 2, 1.5], np.float32)}, order=['x', '', 'scales'], mode='linear')
    one('Conv', 'Conv11_float16', 11, 'Conv', [('x', h(1, 2, 5, 5)), ('w', h(3, 2, 3, 3))], pads=[1, 1, 1, 1])
    one('MatMul', 'MatMul13_float16', 13, 'MatMul', [('a', h(3, 8)), ('b', h(8, 4))])
    r = rng_for('nan')
    x = f32(r, 3, 4)
    x[0, 1], x[2, 3] = np.nan, np.nan
    for op in ('ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceLogSumExp'):
        one(op, f'{op}18_nan', 18, op, [('x', x)], inits={'axes': np.array([1], np.int64)}, keepdims=0)
    one('Max', 'Max13_nan', 13, 'Max', [('a', x), ('b', np.zeros((4,), np.float32))])
    one('Min', 'Min13_nan', 13, 'Min', [('a', np.zeros((4,), np.float32)), ('b', x)])
    one('Relu', 'Relu14_nan', 14, 'Relu', [('x', x)])
    one('Clip', 'Clip13_nan', 13, 'Clip', [('x', x)], inits={'lo': np.array(-0.5, np.float32),
                                                             'hi': np.array(0.5, np.float32)})
    one('Softmax', 'Softmax13_nan', 13, 'Softmax', [('x', x)])
    one('MaxPool', 'MaxPool12_nan', 12, 'MaxPool', [('x', x.reshape(1, 1, 3, 4))], kernel_shape=[2, 2])


FAMILIES = [reduce_cases, split_cases, pad_cases, resize_cases, col2im_cases, centercrop_cases, groupnorm_cases,
            activation_cases, bitwise_cases, lppool_cases, pool_cases, deformconv_cases, cast_cases,
            affinegrid_cases, gridsample_cases, dft_cases, constantofshape_cases, string_cases, qdq_cases,
            misc_cases, random_shape_cases]


def write_case(out, suite, name, model, inputs):
    d = os.path.join(out, suite, name)
    s = os.path.join(d, 'test_data_set_0')
    os.makedirs(s)
    onnx.save(model, os.path.join(d, 'model.onnx'))
    specs = []
    for k, (n, a) in enumerate(inputs):
        t = numpy_helper.from_array(a, n)
        with open(os.path.join(s, f'input_{k}.pb'), 'wb') as f:
            f.write(t.SerializeToString())
        if a.dtype == object:
            specs.append({'name': n, 'type': 'string', 'dims': list(a.shape), 'strings': [str(v) for v in a.flat]})
        else:
            specs.append({'name': n, 'type': ORT_TYPE[a.dtype], 'dims': list(a.shape),
                          'b64': base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<'))
                                                  .tobytes()).decode()})
    with open(os.path.join(s, 'inputs.json'), 'w') as f:
        json.dump(specs, f)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out', nargs='?')
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument('--ort', default=os.path.join(here, '..', '..', 'bench', '.ort'),
                   help='Directory bench/setup-ort filled (default: bench/.ort)')
    p.add_argument('--filter', default='', help='Regex on SUITE/CASE: write only those')
    p.add_argument('--list', action='store_true', help='Print the case ids and exit')
    a = p.parse_args()
    if not a.list and not a.out:
        p.error('OUT_DIR is required')
    ort_pkg = os.path.join(a.ort, 'node_modules', 'onnxruntime-node', 'package.json')
    node = shutil.which('node')
    if not a.list and (node is None or not os.path.exists(ort_pkg)):
        if a.out and os.path.exists(a.out):
            shutil.rmtree(a.out)  # no stale cases for run_edgeinfer.py to find
        print('oracle: SKIPPED: ' + ('node (Node.js) is not installed' if node is None else
                                      f'ONNX Runtime is not in {os.path.abspath(a.ort)}') +
              '; scripts/install-deps fetches it (bench/setup-ort)')
        return SKIP
    for fam in FAMILIES:
        fam()
    cases = [c for c in CASES if re.search(a.filter, f'{c[0]}/{c[1]}')]
    if a.list:
        for suite, name, _, _ in cases:
            print(f'{suite}/{name}')
        return 0
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    for suite, name, model, inputs in cases:
        write_case(a.out, suite, name, model, inputs)
    suites = sorted({c[0] for c in cases})
    print(f'oracle: {len(cases)} cases in {len(suites)} operator suites written to {a.out}')
    sys.stdout.flush()
    rc = subprocess.call([node, os.path.join(here, 'run_ort.js'), a.out, '--ort', a.ort])
    if rc != 0:
        return rc
    kept = sorted(s for s in suites if os.path.isdir(os.path.join(a.out, s)) and os.listdir(os.path.join(a.out, s)))
    with open(os.path.join(a.out, 'suites.txt'), 'w') as f:
        f.write(','.join(kept) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
