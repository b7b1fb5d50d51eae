/* SPDX-License-Identifier: BSD-2-Clause */
/* `facet bench`: speed of the network and the codec on this machine, bytes
 * per frame of a real encode, FLOPs per frame. */
#ifndef FACET_TOOLS_BENCH_H
#define FACET_TOOLS_BENCH_H

/* Runs the benchmark; argv[0] is "bench", options follow (see the usage
 * text in bench.c). Returns the process exit status: 0, 1 (failure) or 2
 * (bad arguments). */
int facet_command_bench(int argc, char **argv);

#endif
