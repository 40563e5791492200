// Runtime-only layout pass: values passed only between Winograd convolutions are stored in oneDNN's blocked
// layout nChw16c. oneDNN's Winograd convolution exists only for blocked layouts, so in a channels-last region
// each Winograd conv would otherwise reorder its input, residual and output between NHWC and nChw16c; a chain
// of them (a ResNet's residual blocks) now reorders only where it starts and ends. Direct convolutions stay
// channels-last (oneDNN's NHWC direct code is the faster one on AVX-512), so only predicted Winograd convs join.
// Runtime pipeline only, after channels-last, when Winograd can run (AVX-512, tactics other than direct-only).
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Channels per block of the blocked layout: a blocked value of logical dims [N, C, H, W] is stored as
// [N, C/16, H, W, 16] (oneDNN's nChw16c).
inline constexpr int64_t kConvBlock = 16;

// A 2-D float32 channels-last edgeinfer:FusedConv that the `fast` tactics run with Winograd (the heuristic of
// kernels/cpu/conv.cpp: 3x3, stride 1, no dilation, one group, 64+ channels in and out, an output of 14x14 or
// more), with known shapes.
bool winograd_candidate(const ir::Graph& graph, const ir::Node& node);

// A value qualifies when its producer is a Winograd candidate, its channel count is a multiple of kConvBlock,
// it is no graph output and no subgraph reads it, and every reader is a Winograd candidate reading it as X
// (input 0) or Z (input 3). Each qualifying value gets the blocked shape; its producer gets y_block=16 and its
// readers x_block=16 / z_block=16 (kernels/cpu/conv.cpp). A candidate that ends up direct (timed tactics) reads
// and writes blocked operands through reorders. Returns whether anything changed.
bool store_conv_chains_blocked(ir::Model& model);

}  // namespace edgeinfer::passes
