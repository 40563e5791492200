// The one list of every kernel family edgeinfer ships. A new family adds one line here.
#include "kernels/registry.hpp"

#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels {

namespace cpu {
// Each defined in kernels/cpu/<family>.cpp.
void register_elementwise_kernels(KernelRegistry& registry);
void register_binary_kernels(KernelRegistry& registry);
void register_region_binary_kernels(KernelRegistry& registry);
void register_cast_kernels(KernelRegistry& registry);
void register_conv_kernels(KernelRegistry& registry);
void register_gemm_kernels(KernelRegistry& registry);
void register_pool_kernels(KernelRegistry& registry);
void register_norm_kernels(KernelRegistry& registry);
void register_softmax_kernels(KernelRegistry& registry);
void register_tensor_shape_kernels(KernelRegistry& registry);
void register_tensor_copy_kernels(KernelRegistry& registry);
void register_gather_kernels(KernelRegistry& registry);
void register_reduce_kernels(KernelRegistry& registry);
void register_index_kernels(KernelRegistry& registry);
void register_resize_kernels(KernelRegistry& registry);
void register_einsum_kernels(KernelRegistry& registry);
void register_rnn_kernels(KernelRegistry& registry);
void register_quantize_kernels(KernelRegistry& registry);
void register_quantized_conv_kernels(KernelRegistry& registry);
void register_quantized_matmul_kernels(KernelRegistry& registry);
void register_control_flow_kernels(KernelRegistry& registry);
void register_matrix_kernels(KernelRegistry& registry);
void register_selection_kernels(KernelRegistry& registry);
void register_reverse_sequence_kernels(KernelRegistry& registry);
void register_sampling_kernels(KernelRegistry& registry);
void register_signal_kernels(KernelRegistry& registry);
void register_random_kernels(KernelRegistry& registry);
void register_text_kernels(KernelRegistry& registry);
void register_contrib_activation_kernels(KernelRegistry& registry);
void register_attention_kernels(KernelRegistry& registry);
void register_qlinear_elementwise_kernels(KernelRegistry& registry);
void register_col2im_kernels(KernelRegistry& registry);
void register_deform_conv_kernels(KernelRegistry& registry);
void register_sequence_kernels(KernelRegistry& registry);
}  // namespace cpu

bool native_bf16() { return cpu::cpu_isa_has(dnnl::cpu_isa::avx512_core_bf16); }
bool winograd_available() { return cpu::cpu_isa_has(dnnl::cpu_isa::avx512_core); }

const KernelRegistry& default_registry() {
    static const KernelRegistry registry = [] {
        KernelRegistry r;
        cpu::register_elementwise_kernels(r);
        cpu::register_binary_kernels(r);
        cpu::register_region_binary_kernels(r);
        cpu::register_cast_kernels(r);
        cpu::register_conv_kernels(r);
        cpu::register_gemm_kernels(r);
        cpu::register_pool_kernels(r);
        cpu::register_norm_kernels(r);
        cpu::register_softmax_kernels(r);
        cpu::register_tensor_shape_kernels(r);
        cpu::register_tensor_copy_kernels(r);
        cpu::register_gather_kernels(r);
        cpu::register_reduce_kernels(r);
        cpu::register_index_kernels(r);
        cpu::register_resize_kernels(r);
        cpu::register_einsum_kernels(r);
        cpu::register_rnn_kernels(r);
        cpu::register_quantize_kernels(r);
        cpu::register_quantized_conv_kernels(r);
        cpu::register_quantized_matmul_kernels(r);
        cpu::register_control_flow_kernels(r);
        cpu::register_matrix_kernels(r);
        cpu::register_selection_kernels(r);
        cpu::register_reverse_sequence_kernels(r);
        cpu::register_sampling_kernels(r);
        cpu::register_signal_kernels(r);
        cpu::register_random_kernels(r);
        cpu::register_text_kernels(r);
        cpu::register_contrib_activation_kernels(r);
        cpu::register_attention_kernels(r);
        cpu::register_qlinear_elementwise_kernels(r);
        cpu::register_col2im_kernels(r);
        cpu::register_deform_conv_kernels(r);
        cpu::register_sequence_kernels(r);
        return r;
    }();
    return registry;
}

}  // namespace edgeinfer::kernels
