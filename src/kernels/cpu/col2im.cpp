// Kernel: Col2Im-18, the inverse of im2col: input (N, C * prod(block_shape), L) holds one column per
// sliding block; each column value is added into the image position its block and kernel offset cover
// (N-d, with dilations, pads and strides), giving (N, C, image_shape...). Overlapping blocks sum. Run
// gathers per image pixel, so it needs no accumulation buffer and parallelizes over pixels.
#include <array>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

constexpr size_t kMaxRank = 8;

std::string ints_text(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

struct Col2ImState : KernelState {
    std::vector<int64_t> image, block, blocks;  // per spatial dim: image size, kernel size, blocks along it
    std::vector<int64_t> dil, stride, pad_begin;
    int64_t channels = 0, kernel_size = 1, num_blocks = 1, image_size = 1;
};

class Col2ImKernel final : public Kernel {
  public:
    Col2ImKernel(std::vector<int64_t> dilations, std::vector<int64_t> pads, std::vector<int64_t> strides)
        : dilations_(std::move(dilations)), pads_(std::move(pads)), strides_(std::move(strides)) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const Tensor* image_t = ctx.value(1);
        const Tensor* block_t = ctx.value(2);
        if (image_t == nullptr || block_t == nullptr) return ctx.defer();
        auto st = std::make_unique<Col2ImState>();
        if (image_t->rank() != 1 || block_t->rank() != 1 || !read_int_values(*image_t, st->image) ||
            !read_int_values(*block_t, st->block))
            return ctx.invalid("image_shape and block_shape must be 1-D int64 tensors");
        const size_t n = st->image.size();
        if (n > kMaxRank)
            return ctx.unsupported_here("image_shape " + ints_text(st->image) + " has more than " +
                                        std::to_string(kMaxRank) + " spatial dims");
        if (n == 0 || st->block.size() != n)
            return ctx.invalid("image_shape " + ints_text(st->image) + " and block_shape " + ints_text(st->block) +
                               " must have the same (non-zero) number of spatial dims");
        st->dil = dilations_.empty() ? std::vector<int64_t>(n, 1) : dilations_;
        st->stride = strides_.empty() ? std::vector<int64_t>(n, 1) : strides_;
        std::vector<int64_t> pads = pads_.empty() ? std::vector<int64_t>(2 * n, 0) : pads_;
        if (st->dil.size() != n || st->stride.size() != n || pads.size() != 2 * n)
            return ctx.invalid("dilations and strides need " + std::to_string(n) + " values and pads " +
                               std::to_string(2 * n) + " for image_shape " + ints_text(st->image));
        if (x.dims.size() != 3)
            return ctx.invalid("input must have shape (N, C * prod(block_shape), L), got " + shape_to_string(x.dims));
        for (size_t i = 0; i < n; ++i) {
            if (st->image[i] < 0 || st->block[i] < 1 || st->dil[i] < 1 || st->stride[i] < 1 || pads[i] < 0 ||
                pads[i + n] < 0)
                return ctx.invalid("image_shape must be >= 0, block_shape, dilations and strides >= 1, pads >= 0");
            const int64_t extent = st->dil[i] * (st->block[i] - 1) + 1;
            const int64_t span = st->image[i] + pads[i] + pads[i + n] - extent;
            if (span < 0)
                return ctx.invalid("block extent " + std::to_string(extent) + " exceeds the padded image on dim " +
                                   std::to_string(i));
            st->blocks.push_back(span / st->stride[i] + 1);
            st->pad_begin.push_back(pads[i]);
            st->kernel_size *= st->block[i];
            st->num_blocks *= st->blocks.back();
            st->image_size *= st->image[i];
        }
        if (x.dims[1] % st->kernel_size != 0)
            return ctx.invalid("input dim 1 (" + std::to_string(x.dims[1]) +
                               ") is not a multiple of prod(block_shape) " + std::to_string(st->kernel_size));
        if (x.dims[2] != st->num_blocks)
            return ctx.invalid("input dim 2 (" + std::to_string(x.dims[2]) + ") must be the number of blocks " +
                               std::to_string(st->num_blocks) + " for image_shape " + ints_text(st->image));
        st->channels = x.dims[1] / st->kernel_size;
        std::vector<int64_t> y{x.dims[0], st->channels};
        y.insert(y.end(), st->image.begin(), st->image.end());
        ctx.set_output(0, x.dtype, y);
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<Col2ImState>();
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        dispatch_types<types::kFloats>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = x.data_as<T>();
            T* dst = y.data_as<T>();
            const size_t n = st.image.size();
            // A gather per image pixel: the (tap, block) pairs that land on it, summed in double; no buffer.
            parallel_for(x.dims()[0] * st.channels * st.image_size, [&](int64_t begin, int64_t end) {
                std::array<int64_t, kMaxRank> pix{}, k{};
                for (int64_t o = begin; o < end; ++o) {
                    const int64_t plane = o / st.image_size;
                    for (int64_t r = o % st.image_size, i = static_cast<int64_t>(n) - 1; i >= 0; --i) {
                        pix[i] = r % st.image[i];
                        r /= st.image[i];
                    }
                    const T* col = src + plane * st.kernel_size * st.num_blocks;
                    double acc = 0;
                    std::fill(k.begin(), k.end(), 0);
                    for (int64_t ki = 0; ki < st.kernel_size; ++ki) {
                        int64_t block = 0;
                        bool hit = true;
                        for (size_t i = 0; i < n && hit; ++i) {
                            const int64_t b = pix[i] + st.pad_begin[i] - k[i] * st.dil[i];
                            hit = b >= 0 && b % st.stride[i] == 0 && b / st.stride[i] < st.blocks[i];
                            block = block * st.blocks[i] + b / st.stride[i];
                        }
                        if (hit) acc += static_cast<double>(load(col[ki * st.num_blocks + block]));
                        for (size_t i = n; i-- > 0;) {  // next kernel tap, last dim fastest
                            if (++k[i] < st.block[i]) break;
                            k[i] = 0;
                        }
                    }
                    dst[o] = store<T>(acc);
                }
            });
        });
        return Status::ok();
    }

  private:
    std::vector<int64_t> dilations_, pads_, strides_;
};

}  // namespace

void register_col2im_kernels(KernelRegistry& registry) {
    KernelDef def;
    def.op_type = "Col2Im";
    def.since_version = 18;
    def.dtypes = dtypes_of(types::kFloats);
    def.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        return std::unique_ptr<Kernel>(
            new Col2ImKernel(n.attr_ints("dilations"), n.attr_ints("pads"), n.attr_ints("strides")));
    };
    registry.add(std::move(def));
}

}  // namespace edgeinfer::kernels::cpu
