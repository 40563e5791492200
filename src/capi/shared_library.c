/* libedgeinfer.so: the whole static library, linked for FFI callers of include/edgeinfer.h. */
#include "edgeinfer.h"
