# SPDX-License-Identifier: BSD-2-Clause
# Turns a SPIR-V binary into a C source holding it as a uint32_t array
# (xxd is not a build dependency). Run as
#   cmake -DINPUT=x.spv -DOUTPUT=x.c -DSYMBOL=name -P spirv_to_c.cmake
# SPIR-V is a stream of little-endian 32-bit words; the bytes are regrouped
# into words here so that the array has the host's uint32_t values on the
# little-endian machines Vulkan runs on (the loader checks the magic number
# at run time, which catches a byte-swapped array too).
foreach(var INPUT OUTPUT SYMBOL)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "spirv_to_c.cmake: -D${var}=... is required")
    endif()
endforeach()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR remainder "${digits} % 8")
if(digits EQUAL 0 OR NOT remainder EQUAL 0)
    message(FATAL_ERROR "${INPUT}: ${digits} hex digits, not a whole number of 32-bit words")
endif()
math(EXPR words "${digits} / 8")
# aabbccdd (file order) -> 0xddccbbaa, eight words to a line.
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u, " body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f]+u, ){8})" "\\1\n    " body "${body}")
file(WRITE "${OUTPUT}.tmp"
"/* Generated from ${INPUT} by cmake/spirv_to_c.cmake; do not edit. */
#include <stddef.h>
#include <stdint.h>

extern const uint32_t ${SYMBOL}[];
extern const size_t ${SYMBOL}_size;
const uint32_t ${SYMBOL}[] = {
    ${body}
};
const size_t ${SYMBOL}_size = sizeof(${SYMBOL});
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
