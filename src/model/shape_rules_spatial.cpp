// Shape rules for the spatial operators of opsets 18-20 that libonnx 1.12 has no schema for (or an older one
// whose shapes differ): Resize 18/19, LpPool 18, AveragePool 19, DFT 20, GridSample 20, Col2Im 18,
// CenterCropPad 18, DeformConv 19 and AffineGrid 20. Each computes what the CPU kernel's prepare computes
// (src/kernels/cpu/), from what is known before running: a dim that depends on an unknown dim or on an input
// that is not constant stays unknown, the rank is given whenever it follows from what is known, and inputs
// or attributes that contradict the operator are an error naming the node.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/status.hpp"
#include "model/shape_rule.hpp"

namespace edgeinfer::model {
namespace {

using In = ShapeRuleInput;
using Out = ShapeRuleOutputs;

// Input i when its type is known.
const In* typed_input(const std::vector<In>& in, size_t i) {
    return i < in.size() && in[i].info && in[i].info->dtype != DataType::kUndefined ? &in[i] : nullptr;
}
const In* shaped_input(const std::vector<In>& in, size_t i) {
    return i < in.size() && in[i].known() ? &in[i] : nullptr;
}
std::optional<std::vector<int64_t>> ints_at(const std::vector<In>& in, size_t i) {
    return i < in.size() ? shape_rule_ints(&in[i]) : std::nullopt;
}
bool present(const ir::Node& n, size_t i) { return i < n.inputs.size() && !n.inputs[i].empty(); }

// The number of elements of input i when its shape is known to be 1-D (or a scalar) with a known length.
std::optional<int64_t> length_of(const std::vector<In>& in, size_t i) {
    if (i < in.size() && in[i].value) return in[i].value->numel();
    const In* p = shaped_input(in, i);
    if (!p || p->info->shape.rank() > 1) return std::nullopt;
    if (p->info->shape.rank() == 0) return 1;
    const ir::Dim& d = p->info->shape.dims[0];
    return d.is_known() ? std::optional<int64_t>(d.value) : std::nullopt;
}

// A constant float32/float64 input's values; nullopt when it is not constant.
std::optional<std::vector<double>> reals_at(const std::vector<In>& in, size_t i) {
    if (i >= in.size() || !in[i].value) return std::nullopt;
    const Tensor& t = *in[i].value;
    std::vector<double> v(static_cast<size_t>(t.numel()));
    for (size_t k = 0; k < v.size(); ++k) {
        if (t.dtype() == DataType::kFloat32)
            v[k] = static_cast<double>(t.data_as<float>()[k]);
        else if (t.dtype() == DataType::kFloat64)
            v[k] = t.data_as<double>()[k];
        else
            return std::nullopt;
    }
    return v;
}

// Dims and attribute values a rule computes with are at most this large (past it a model means no shape; the
// rules leave such dims unknown or reject such attributes), so that sums and products of two stay in int64_t.
constexpr int64_t kMaxValue = int64_t{1} << 31;
// A rank read from an input's length (Col2Im's image_shape) past this is not a model's.
constexpr int64_t kMaxSpatialDims = 1024;
bool within(const std::vector<int64_t>& v) {
    return std::all_of(v.begin(), v.end(), [](int64_t x) { return x >= -kMaxValue && x <= kMaxValue; });
}
// floor(v) as a dim; nullopt when it is not a finite value within kMaxValue.
std::optional<ir::Dim> floor_dim(double v) {
    if (!(v >= 0.0 && v <= static_cast<double>(kMaxValue))) return std::nullopt;
    return ir::Dim::known(static_cast<int64_t>(std::floor(v)));
}

std::string list(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

ir::Shape unknown_dims(size_t rank) {
    ir::Shape s;
    s.has_rank = true;
    s.dims.assign(rank, ir::Dim::unknown());
    return s;
}

ir::Dim dim_at(const In* in, size_t i) {
    return in && in->info->shape.has_rank && i < in->info->shape.dims.size() ? in->info->shape.dims[i]
                                                                             : ir::Dim::unknown();
}

// `axes` normalized for `rank`, each at most once; all axes when empty. False when one is out of range.
bool normalize_axes(std::vector<int64_t>& axes, int64_t rank) {
    if (axes.empty()) {
        axes.resize(static_cast<size_t>(rank));
        std::iota(axes.begin(), axes.end(), 0);
        return true;
    }
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t& a : axes) {
        if (a < -rank || a >= rank) return false;
        if (a < 0) a += rank;
        if (seen[static_cast<size_t>(a)]) return false;
        seen[static_cast<size_t>(a)] = true;
    }
    return true;
}

// Resize 18/19: scales (input 2) or sizes (input 3) name the axes of `axes` (all when empty);
// keep_aspect_ratio_policy gives those axes one scale when sizes is given. As resize.cpp's read_targets.
Status resize_sizes(const std::string& label, const std::string& policy, const std::vector<int64_t>& axes,
                    const std::vector<int64_t>& sizes, ir::Shape& y) {
    if (sizes.size() != axes.size())
        return rule_error(label, "sizes has " + std::to_string(sizes.size()) + " values for " +
                                     std::to_string(axes.size()) + " axes");
    for (size_t k = 0; k < sizes.size(); ++k)
        if (sizes[k] < 0) return rule_error(label, "sizes " + list(sizes) + " has a negative value");
    const ir::Shape x = y;
    const bool all_known = std::all_of(axes.begin(), axes.end(), [&](int64_t a) { return x.dims[a].is_known(); });
    for (size_t k = 0; k < axes.size(); ++k)
        y.dims[axes[k]] = policy == "stretch" ? ir::Dim::known(sizes[k]) : ir::Dim::unknown();
    if (policy == "stretch" || !all_known) return Status::ok();
    const bool not_larger = policy == "not_larger";
    double common = not_larger ? 1e300 : 0.0;
    for (size_t k = 0; k < axes.size(); ++k) {
        const int64_t d = x.dims[axes[k]].value;
        const double scale = d == 0 ? 1.0 : static_cast<double>(sizes[k]) / static_cast<double>(d);
        common = not_larger ? std::min(common, scale) : std::max(common, scale);
    }
    for (int64_t a : axes) {
        const auto d = floor_dim(common * static_cast<double>(x.dims[a].value) + 0.5);
        if (!d) return rule_error(label, "sizes " + list(sizes) + " give an output dim out of range");
        y.dims[a] = *d;
    }
    return Status::ok();
}

Result<Out> resize_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    const In* x = shaped_input(in, 0);
    if (!x) return Out{};
    const int64_t rank = x->info->shape.rank();
    const std::string policy = n.attr_string("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
        return rule_error(label, "keep_aspect_ratio_policy '" + policy + "' is not stretch, not_larger or not_smaller");
    std::vector<int64_t> axes = n.attr_ints("axes");
    if (!normalize_axes(axes, rank))
        return rule_error(label, "axes " + list(n.attr_ints("axes")) + " are out of range or repeated for rank " +
                                     std::to_string(rank));
    // An empty scales or sizes input (a name of "" or a tensor of 0 elements) is not given.
    auto given = [&](size_t i) { return present(n, i) && length_of(in, i).value_or(1) != 0; };
    const bool has_scales = given(2), has_sizes = given(3);
    if (!has_scales && !has_sizes) return rule_error(label, "neither 'scales' nor 'sizes' is given");
    if (has_scales && has_sizes && length_of(in, 2) && length_of(in, 3))
        return rule_error(label, "only one of 'scales' and 'sizes' may be given");
    ir::Shape y = x->info->shape;
    const auto sizes = has_sizes ? ints_at(in, 3) : std::nullopt;
    const auto scales = has_scales ? reals_at(in, 2) : std::nullopt;
    if (sizes) {
        EDGEINFER_RETURN_IF_ERROR(resize_sizes(label, policy, axes, *sizes, y));
    } else if (scales) {
        if (scales->size() != axes.size())
            return rule_error(label, "scales has " + std::to_string(scales->size()) + " values for " +
                                         std::to_string(axes.size()) + " axes");
        for (size_t k = 0; k < axes.size(); ++k) {
            const double s = (*scales)[k];
            if (!(s > 0.0)) return rule_error(label, "scale " + std::to_string(s) + " is not positive");
            const ir::Dim d = y.dims[axes[k]];
            const auto out = d.is_known() ? floor_dim(s * static_cast<double>(d.value)) : ir::Dim::unknown();
            if (!out) return rule_error(label, "scale " + std::to_string(s) + " gives an output dim out of range");
            y.dims[axes[k]] = *out;
        }
    } else {
        for (int64_t a : axes) y.dims[a] = ir::Dim::unknown();  // scales/sizes known only when running
    }
    return Out{{rule_output(x->info->dtype, y)}};
}

// AveragePool 19 (dilations) and LpPool 18 (ceil_mode): as pool.cpp's pool_geometry.
Result<Out> pool_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    const In* x = shaped_input(in, 0);
    if (!x) return Out{};
    const ir::Shape& xs = x->info->shape;
    if (xs.rank() < 3) return rule_error(label, "input must have shape [N, C, spatial...], got " + xs.to_string());
    const size_t r = xs.dims.size() - 2;
    const std::vector<int64_t> k = n.attr_ints("kernel_shape"), s = n.attr_ints("strides"),
                               d = n.attr_ints("dilations"), p = n.attr_ints("pads");
    const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
    if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
        return rule_error(label, "auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    if (k.size() != r)
        return rule_error(
            label, "kernel_shape " + list(k) + " needs " + std::to_string(r) + " values for input " + xs.to_string());
    if ((!s.empty() && s.size() != r) || (!d.empty() && d.size() != r) || (!p.empty() && p.size() != 2 * r))
        return rule_error(
            label, "strides and dilations need " + std::to_string(r) + " values and pads " + std::to_string(2 * r));
    if (!within(k) || !within(s) || !within(d) || !within(p))
        return rule_error(label, "kernel_shape, strides, dilations and pads must be within 2^31");
    const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    ir::Shape y = xs;
    for (size_t i = 0; i < r; ++i) {
        const int64_t ki = k[i], si = s.empty() ? 1 : s[i], di = d.empty() ? 1 : d[i];
        const int64_t l = auto_pad == "NOTSET" && !p.empty() ? p[i] : 0,
                      rp = auto_pad == "NOTSET" && !p.empty() ? p[i + r] : 0;
        if (ki < 1 || si < 1 || di < 1 || l < 0 || rp < 0)
            return rule_error(label, "kernel_shape, strides and dilations must be >= 1 and pads >= 0");
        const ir::Dim& in_dim = xs.dims[i + 2];
        if (!in_dim.is_known() || in_dim.value > kMaxValue) {
            y.dims[i + 2] = ir::Dim::unknown();
            continue;
        }
        const int64_t extent = (ki - 1) * di + 1, v = in_dim.value;
        int64_t o = 0;
        if (same) {
            o = (v + si - 1) / si;
        } else {
            const int64_t span = v + l + rp - extent;
            if (span < 0)
                return rule_error(label, "kernel extent " + std::to_string(extent) + " exceeds the padded input " +
                                             std::to_string(v + l + rp) + " on spatial axis " + std::to_string(i));
            o = (ceil_mode ? (span + si - 1) / si : span / si) + 1;
            if (ceil_mode && (o - 1) * si >= v + l) --o;  // the last window starts inside the input or its pad
        }
        y.dims[i + 2] = ir::Dim::known(o);
    }
    return Out{{rule_output(x->info->dtype, y)}};
}

// DFT 20: dft_length (input 1) and axis (input 2, default -2) as inputs; onesided keeps length / 2 + 1 bins;
// the last axis (1 real or 2 complex components) becomes 2. As signal.cpp's DftKernel.
Result<Out> dft_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    const In* x = shaped_input(in, 0);
    if (!x) return Out{};
    const ir::Shape& xs = x->info->shape;
    const int64_t rank = xs.rank();
    if (rank < 2 || (xs.dims.back().is_known() && xs.dims.back().value != 1 && xs.dims.back().value != 2))
        return rule_error(label, "input must have shape [batch, signal..., 1 or 2], got " + xs.to_string());
    const bool onesided = n.attr_int("onesided", 0) != 0;
    std::optional<int64_t> axis = -2;
    if (present(n, 2)) {
        auto v = ints_at(in, 2);
        if (v && v->size() != 1) return rule_error(label, "axis must be an integer scalar");
        axis = v ? std::optional<int64_t>((*v)[0]) : std::nullopt;
    }
    if (axis) {
        const int64_t given = *axis;
        if (*axis < -rank || *axis >= rank || (*axis + rank) % rank == rank - 1)
            return rule_error(label, "axis " + std::to_string(given) + " must name a signal axis of input shape " +
                                         xs.to_string() + " (not the last, which holds the components)");
        axis = (*axis + rank) % rank;
    }
    std::optional<int64_t> length;  // nullopt: the signal's own length (or unknown when dft_length is not constant)
    bool length_known = true;
    if (present(n, 1)) {
        auto v = ints_at(in, 1);
        if (v && (v->size() != 1 || (*v)[0] < 1))
            return rule_error(label, "dft_length must be a positive integer scalar");
        if (v) length = (*v)[0];
        length_known = v.has_value();
    }
    ir::Shape y = xs;
    y.dims.back() = ir::Dim::known(2);
    if (!axis) {
        // Which axis changes is known only when running; none does without onesided or dft_length.
        if (onesided || present(n, 1))
            for (int64_t i = 0; i < rank - 1; ++i) y.dims[i] = ir::Dim::unknown();
        return Out{{rule_output(x->info->dtype, y)}};
    }
    ir::Dim& a = y.dims[*axis];
    if (!length && !onesided && length_known) return Out{{rule_output(x->info->dtype, y)}};  // the axis keeps its dim
    if (!length_known || (!length && !a.is_known())) {
        a = ir::Dim::unknown();
    } else {
        const int64_t l = length ? *length : a.value;
        a = ir::Dim::known(onesided ? l / 2 + 1 : l);
    }
    return Out{{rule_output(x->info->dtype, y)}};
}

// GridSample 20 (N-d): X [N, C, D1..Dr] and grid [N, O1..Or, r] give [N, C, O1..Or]. As sampling.cpp.
Result<Out> grid_sample_rule(const ir::Node&, const std::string& label, const std::vector<In>& in) {
    const In* x = typed_input(in, 0);
    if (!x) return Out{};
    const In* xk = shaped_input(in, 0);
    const In* grid = shaped_input(in, 1);
    if (!xk && !grid) return Out{};
    const int64_t r = xk ? xk->info->shape.rank() - 2 : grid->info->shape.rank() - 2;
    const std::string want = "X [N, C, D1, ..., Dr] and grid [N, O1, ..., Or, r] with r >= 1";
    if (r < 1 || (grid && grid->info->shape.rank() != r + 2))
        return rule_error(label, want + ", got X " + (xk ? xk->info->shape.to_string() : "(unknown rank)") +
                                     " and grid " + (grid ? grid->info->shape.to_string() : "(unknown rank)"));
    const ir::Dim last = dim_at(grid, static_cast<size_t>(r + 1));
    const ir::Dim xn = dim_at(xk, 0), gn = dim_at(grid, 0);
    if ((last.is_known() && last.value != r) || (xn.is_known() && gn.is_known() && xn != gn))
        return rule_error(label, want + ", got X " + (xk ? xk->info->shape.to_string() : "(unknown rank)") +
                                     " and grid " + grid->info->shape.to_string());
    ir::Shape y;
    y.has_rank = true;
    y.dims = {xn.is_known() || !xn.symbol.empty() ? xn : gn, dim_at(xk, 1)};
    for (int64_t i = 1; i <= r; ++i) y.dims.push_back(dim_at(grid, static_cast<size_t>(i)));
    return Out{{rule_output(x->info->dtype, y)}};
}

// Col2Im 18: input [N, C * prod(block_shape), L], image_shape and block_shape (inputs 1, 2) give
// [N, C, image_shape...]; L must be the number of blocks. As col2im.cpp.
Result<Out> col2im_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    const In* x = typed_input(in, 0);
    if (!x) return Out{};
    const In* xs = shaped_input(in, 0);
    if (xs && xs->info->shape.rank() != 3)
        return rule_error(label,
                          "input must have shape [N, C * prod(block_shape), L], got " + xs->info->shape.to_string());
    const auto image = ints_at(in, 1), block = ints_at(in, 2);
    std::optional<int64_t> r = image ? std::optional<int64_t>(image->size()) : length_of(in, 1);
    if (!r) r = block ? std::optional<int64_t>(block->size()) : length_of(in, 2);
    if (!r) return Out{};  // the number of spatial dims is known only when running
    if (*r > kMaxSpatialDims)
        return rule_error(label, "image_shape or block_shape has " + std::to_string(*r) +
                                     " values, more spatial dims than " + std::to_string(kMaxSpatialDims));
    if (*r == 0 || (image && block && image->size() != block->size()))
        return rule_error(label, "image_shape " + (image ? list(*image) : "(not constant)") + " and block_shape " +
                                     (block ? list(*block) : "(not constant)") +
                                     " must have the same (non-zero) number of spatial dims");
    const auto rs = static_cast<size_t>(*r);
    const std::vector<int64_t> dil = n.attr_ints("dilations", std::vector<int64_t>(rs, 1)),
                               stride = n.attr_ints("strides", std::vector<int64_t>(rs, 1)),
                               pads = n.attr_ints("pads", std::vector<int64_t>(2 * rs, 0));
    if (dil.size() != rs || stride.size() != rs || pads.size() != 2 * rs)
        return rule_error(
            label, "dilations and strides need " + std::to_string(rs) + " values and pads " + std::to_string(2 * rs));
    if (!within(dil) || !within(stride) || !within(pads) || (image && !within(*image)) || (block && !within(*block)))
        return rule_error(label, "image_shape, block_shape, dilations, strides and pads must be within 2^31");
    ir::Shape y = unknown_dims(rs + 2);
    y.dims[0] = dim_at(xs, 0);
    const ir::Dim cols = dim_at(xs, 1), blocks = dim_at(xs, 2);
    if (block) {
        int64_t kernel = 1;
        for (int64_t b : *block) {
            if (b < 1) return rule_error(label, "block_shape " + list(*block) + " must be >= 1");
            if (__builtin_mul_overflow(kernel, b, &kernel))
                return rule_error(label, "prod(block_shape " + list(*block) + ") overflows");
        }
        if (cols.is_known() && cols.value % kernel != 0)
            return rule_error(label, "input dim 1 (" + std::to_string(cols.value) +
                                         ") is not a multiple of prod(block_shape " + list(*block) +
                                         ") = " + std::to_string(kernel));
        if (cols.is_known()) y.dims[1] = ir::Dim::known(cols.value / kernel);
    }
    if (image) {
        int64_t count = 1;
        for (size_t i = 0; i < rs; ++i) {
            if ((*image)[i] < 0 || dil[i] < 1 || stride[i] < 1 || pads[i] < 0 || pads[i + rs] < 0)
                return rule_error(label, "image_shape must be >= 0, dilations and strides >= 1, pads >= 0");
            y.dims[i + 2] = ir::Dim::known((*image)[i]);
            if (!block) continue;
            const int64_t extent = dil[i] * ((*block)[i] - 1) + 1, span = (*image)[i] + pads[i] + pads[i + rs] - extent;
            if (span < 0)
                return rule_error(label, "block extent " + std::to_string(extent) +
                                             " exceeds the padded image on dim " + std::to_string(i));
            if (__builtin_mul_overflow(count, span / stride[i] + 1, &count))
                return rule_error(label, "the number of blocks for image_shape " + list(*image) + " overflows");
        }
        if (block && blocks.is_known() && blocks.value != count)
            return rule_error(label, "input dim 2 (" + std::to_string(blocks.value) +
                                         ") must be the number of blocks " + std::to_string(count) +
                                         " for image_shape " + list(*image));
    }
    return Out{{rule_output(x->info->dtype, y)}};
}

// CenterCropPad 18: the axes of `axes` (all when empty) take the sizes of input 1. As tensor_copy.cpp.
Result<Out> center_crop_pad_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    const In* x = shaped_input(in, 0);
    if (!x) return Out{};
    std::vector<int64_t> axes = n.attr_ints("axes");
    if (!normalize_axes(axes, x->info->shape.rank()))
        return rule_error(label, "axes " + list(n.attr_ints("axes")) + " are out of range or repeated for input " +
                                     x->info->shape.to_string());
    ir::Shape y = x->info->shape;
    const auto shape = ints_at(in, 1);
    if (shape && shape->size() != axes.size())
        return rule_error(label, "shape " + list(*shape) + " must have one value per axis of " + list(axes));
    for (size_t k = 0; k < axes.size(); ++k) {
        if (shape && (*shape)[k] < 0) return rule_error(label, "shape " + list(*shape) + " has a negative size");
        y.dims[axes[k]] = shape ? ir::Dim::known((*shape)[k]) : ir::Dim::unknown();
    }
    return Out{{rule_output(x->info->dtype, y)}};
}

// DeformConv 19: X [N, C, D1..Dr], W [oC, C / group, k1..kr] give [N, oC, O1..Or], Oi as a convolution's.
// As deform_conv.cpp (which runs the 2-D case).
Result<Out> deform_conv_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    const In* x = shaped_input(in, 0);
    if (!x) return Out{};
    const ir::Shape& xs = x->info->shape;
    if (xs.rank() < 3) return rule_error(label, "X must have shape [N, C, spatial...], got " + xs.to_string());
    const auto r = static_cast<size_t>(xs.rank() - 2);
    const In* w = shaped_input(in, 1);
    if (w && w->info->shape.rank() != xs.rank())
        return rule_error(label, "W " + w->info->shape.to_string() + " must have the rank of X " + xs.to_string());
    const int64_t group = n.attr_int("group", 1), offset_group = n.attr_int("offset_group", 1);
    if (group < 1 || offset_group < 1) return rule_error(label, "group and offset_group must be >= 1");
    const ir::Dim c = xs.dims[1], wc = dim_at(w, 1);
    int64_t grouped = 0;
    if (c.is_known() && wc.is_known() && (__builtin_mul_overflow(wc.value, group, &grouped) || grouped != c.value))
        return rule_error(label, "group " + std::to_string(group) + " does not fit X " + xs.to_string() + " and W " +
                                     w->info->shape.to_string());
    if (c.is_known() && c.value % offset_group != 0)
        return rule_error(label, "offset_group " + std::to_string(offset_group) + " does not divide the " +
                                     std::to_string(c.value) + " channels");
    const std::vector<int64_t> ks = n.attr_ints("kernel_shape"), s = n.attr_ints("strides", std::vector<int64_t>(r, 1)),
                               d = n.attr_ints("dilations", std::vector<int64_t>(r, 1)),
                               p = n.attr_ints("pads", std::vector<int64_t>(2 * r, 0));
    if ((!ks.empty() && ks.size() != r) || s.size() != r || d.size() != r || p.size() != 2 * r)
        return rule_error(label, "kernel_shape, strides and dilations need " + std::to_string(r) + " values and pads " +
                                     std::to_string(2 * r));
    if (!within(ks) || !within(s) || !within(d) || !within(p))
        return rule_error(label, "kernel_shape, strides, dilations and pads must be within 2^31");
    ir::Shape y = unknown_dims(r + 2);
    y.dims[0] = xs.dims[0];
    y.dims[1] = dim_at(w, 0);
    for (size_t i = 0; i < r; ++i) {
        const ir::Dim wk = dim_at(w, i + 2);
        if (!ks.empty() && wk.is_known() && wk.value != ks[i])
            return rule_error(label, "kernel_shape " + list(ks) + " differs from W's " + w->info->shape.to_string());
        const int64_t k = ks.empty() ? wk.value : ks[i];
        if (s[i] < 1 || d[i] < 1) return rule_error(label, "strides and dilations must be >= 1");
        if (k < 0 || k > kMaxValue || !xs.dims[i + 2].is_known() || xs.dims[i + 2].value > kMaxValue) continue;
        const int64_t span = xs.dims[i + 2].value + p[i] + p[i + r] - (d[i] * (k - 1) + 1);
        if (span < 0) return rule_error(label, "the dilated kernel does not fit the padded input " + xs.to_string());
        y.dims[i + 2] = ir::Dim::known(span / s[i] + 1);
    }
    return Out{{rule_output(x->info->dtype, y)}};
}

// AffineGrid 20: theta [N, r, r + 1] and size (N, C, D1..Dr) with r 2 or 3 give the grid [N, D1..Dr, r].
// As sampling.cpp's AffineGridKernel.
Result<Out> affine_grid_rule(const ir::Node&, const std::string& label, const std::vector<In>& in) {
    const In* theta = typed_input(in, 0);
    if (!theta) return Out{};
    const In* ts = shaped_input(in, 0);
    if (ts && ts->info->shape.rank() != 3)
        return rule_error(label, "theta must have shape [N, 2, 3] or [N, 3, 4], got " + ts->info->shape.to_string());
    const auto size = ints_at(in, 1);
    std::optional<int64_t> count = size ? std::optional<int64_t>(size->size()) : length_of(in, 1);
    const ir::Dim tr = dim_at(ts, 1);
    if (!count && tr.is_known()) count = std::min<int64_t>(tr.value, kMaxValue) + 2;
    if (!count) return Out{};
    if (*count != 4 && *count != 5)
        return rule_error(label, "size must hold 4 (N, C, H, W) or 5 (N, C, D, H, W) values, got " +
                                     (size ? list(*size) : std::to_string(*count) + " values"));
    const int64_t r = *count - 2;
    const ir::Dim tn = dim_at(ts, 0), tc = dim_at(ts, 2);
    if ((tr.is_known() && tr.value != r) || (tc.is_known() && tc.value != r + 1) ||
        (size && tn.is_known() && tn.value != (*size)[0]))
        return rule_error(label, "theta must have shape [N, " + std::to_string(r) + ", " + std::to_string(r + 1) +
                                     "] for size " + (size ? list(*size) : "(not constant)") + ", got " +
                                     ts->info->shape.to_string());
    ir::Shape y = unknown_dims(static_cast<size_t>(r + 2));
    y.dims[0] = tn;
    y.dims.back() = ir::Dim::known(r);
    if (size) {
        for (int64_t v : *size)
            if (v < 0) return rule_error(label, "size " + list(*size) + " has a negative value");
        y.dims[0] = ir::Dim::known((*size)[0]);
        for (int64_t i = 0; i < r; ++i) y.dims[i + 1] = ir::Dim::known((*size)[i + 2]);
    }
    return Out{{rule_output(theta->info->dtype, y)}};
}

}  // namespace

void add_spatial_shape_rules(std::map<std::string, ShapeRule>& rules) {
    rules["Resize"] = resize_rule;
    rules["AveragePool"] = rules["LpPool"] = pool_rule;
    rules["DFT"] = dft_rule;
    rules["GridSample"] = grid_sample_rule;
    rules["Col2Im"] = col2im_rule;
    rules["CenterCropPad"] = center_crop_pad_rule;
    rules["DeformConv"] = deform_conv_rule;
    rules["AffineGrid"] = affine_grid_rule;
}

}  // namespace edgeinfer::model
