/* SPDX-License-Identifier: BSD-2-Clause */
/* `facet bench --mode latent`: speed of the latent tier's decoder on this
 * machine (the base decoder, the network, the whole decoder). */
#ifndef FACET_TOOLS_BENCH_LATENT_H
#define FACET_TOOLS_BENCH_LATENT_H

/* Runs it; argv[0] is "bench", options follow (see the usage text in
 * bench_latent.c). Returns the process exit status: 0, 1 (failure) or 2
 * (bad arguments). */
int facet_command_bench_latent(int argc, char **argv);

#endif
