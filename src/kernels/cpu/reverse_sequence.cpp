// Kernel: ReverseSequence-10 (reverse the first sequence_lens[b] steps of each batch entry along the
// time axis; any dtype). The time and batch axes are 0 and 1 in either order; the rest of the
// tensor moves as contiguous blocks.
#include <cstring>
#include <string>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

class ReverseSequenceKernel final : public Kernel {
  public:
    ReverseSequenceKernel(int64_t batch_axis, int64_t time_axis) : batch_axis_(batch_axis), time_axis_(time_axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& lens = ctx.input(1);
        if (x.dims.size() < 2) return ctx.invalid("input must have rank >= 2, got " + shape_to_string(x.dims));
        if (dtype_size(x.dtype) == 0) return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)));
        if (lens.dtype != DataType::kInt64 || lens.dims.size() != 1 || lens.dims[0] != x.dims[batch_axis_])
            return ctx.invalid("sequence_lens must be int64 of shape [" + std::to_string(x.dims[batch_axis_]) +
                               "] (the batch size), got " + std::string(dtype_name(lens.dtype)) + " " +
                               shape_to_string(lens.dims));
        ctx.set_output(0, x.dtype, x.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const int64_t* lens = ctx.in(1).data_as<int64_t>();
        const auto& d = x.dims();
        const int64_t batch = d[batch_axis_], steps = d[time_axis_];
        for (int64_t b = 0; b < batch; ++b)
            if (lens[b] < 0 || lens[b] > steps)
                return ctx.error(StatusCode::kOutOfRange, "sequence_lens[" + std::to_string(b) +
                                                              "] = " + std::to_string(lens[b]) + " is outside [0, " +
                                                              std::to_string(steps) + "]");
        if (x.numel() == 0) return Status::ok();
        const int64_t inner = x.numel() / (batch * steps);
        const size_t block = static_cast<size_t>(inner) * dtype_size(x.dtype());
        const auto* src = static_cast<const uint8_t*>(x.data());
        auto* dst = static_cast<uint8_t*>(ctx.out(0).data());
        auto offset = [&](int64_t b, int64_t t) {
            return static_cast<size_t>(time_axis_ == 0 ? t * batch + b : b * steps + t) * block;
        };
        parallel_for(
            batch * steps,
            [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    const int64_t b = r / steps, t = r % steps;
                    const int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
                    std::memcpy(dst + offset(b, t), src + offset(b, from), block);
                }
            },
            std::max<int64_t>(1, 65536 / std::max<int64_t>(inner, 1)));
        return Status::ok();
    }

  private:
    int64_t batch_axis_;
    int64_t time_axis_;
};

}  // namespace

void register_reverse_sequence_kernels(KernelRegistry& registry) {
    KernelDef d;
    d.op_type = "ReverseSequence";
    d.since_version = 10;
    d.end_version = 1 << 30;
    d.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const int64_t batch_axis = ctx.node.attr_int("batch_axis", 1);
        const int64_t time_axis = ctx.node.attr_int("time_axis", 0);
        if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0)))
            return ctx.invalid("batch_axis and time_axis must be 0 and 1 (in either order), got " +
                               std::to_string(batch_axis) + " and " + std::to_string(time_axis));
        return std::unique_ptr<Kernel>(new ReverseSequenceKernel(batch_axis, time_axis));
    };
    registry.add(std::move(d));
}

}  // namespace edgeinfer::kernels::cpu
