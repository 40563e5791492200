// Internal error helpers: the two propagation macros and EDGEINFER_CHECK for broken invariants.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "edgeinfer/status.hpp"

namespace edgeinfer::base {

[[noreturn]] void check_failed(const char* file, int line, const char* expr, const char* message);

}  // namespace edgeinfer::base

#define EDGEINFER_CONCAT_INNER_(a, b) a##b
#define EDGEINFER_CONCAT_(a, b) EDGEINFER_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define EDGEINFER_RETURN_IF_ERROR(expr)                    \
    do {                                                   \
        ::edgeinfer::Status edgeinfer_status_ = (expr);    \
        if (!edgeinfer_status_.is_ok()) return edgeinfer_status_; \
    } while (0)

// `lhs = value of rexpr`, or returns its Status from the enclosing function.
#define EDGEINFER_ASSIGN_OR_RETURN(lhs, rexpr)                                         \
    auto EDGEINFER_CONCAT_(edgeinfer_result_, __LINE__) = (rexpr);                     \
    if (!EDGEINFER_CONCAT_(edgeinfer_result_, __LINE__).is_ok())                       \
        return EDGEINFER_CONCAT_(edgeinfer_result_, __LINE__).status();                \
    lhs = std::move(EDGEINFER_CONCAT_(edgeinfer_result_, __LINE__)).value()

// Aborts with a message when an internal invariant is broken (never for user input).
#define EDGEINFER_CHECK(cond, message)                                                     \
    do {                                                                                   \
        if (!(cond)) ::edgeinfer::base::check_failed(__FILE__, __LINE__, #cond, (message)); \
    } while (0)
