/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small parallel-for over a fixed set of threads (internal to libfacet).
 *
 * facet_thread_pool_run() hands out job indices 0 .. job_count-1 to the pool's
 * threads, the calling thread included, and returns when every job has
 * finished. Jobs are taken in increasing order from a shared counter, so a
 * slow core simply takes fewer of them; which thread runs which job is not
 * fixed, so a job must write only to what its own index owns.
 *
 * A pool of n threads starts n - 1 worker threads: the caller of
 * facet_thread_pool_run() is the n-th. Between runs a worker polls for 50
 * microseconds, so that ops issued back to back find it awake, then sleeps on
 * a condition variable (the cores are shared with other work: nothing spins
 * for long). The caller never waits for a worker that has not started on the
 * run: if it took every job first, it returns at once.
 *
 * One run at a time: facet_thread_pool_run() must not be called from inside a
 * job, nor from two threads at once on the same pool.
 */
#ifndef FACET_RENDER_THREAD_POOL_H
#define FACET_RENDER_THREAD_POOL_H

typedef struct FacetThreadPool FacetThreadPool;

/* One job: `job` in 0 .. job_count-1, `thread` in 0 .. threads-1 (0 is the
 * thread that called facet_thread_pool_run()), for per-thread scratch. */
typedef void (*FacetJobFn)(void *ctx, int job, int thread);

/* Largest pool facet_thread_pool_create() makes. */
#define FACET_THREAD_POOL_MAX_THREADS 64

/* Creates a pool of `threads` threads in all (the caller counts as one);
 * 0 means one per processor this process may run on. A count above
 * FACET_THREAD_POOL_MAX_THREADS is clamped to it. Returns 0, -EINVAL (NULL
 * pool or a negative count), -ENOMEM, or the error pthread_create() gave. */
int facet_thread_pool_create(FacetThreadPool **pool, int threads);

/* Runs fn(ctx, job, thread) for every job in 0 .. job_count-1 and returns
 * when all have finished. A NULL pool runs the jobs in order on the calling
 * thread (thread index 0); job_count <= 0 does nothing. */
void facet_thread_pool_run(FacetThreadPool *pool, FacetJobFn fn, void *ctx, int job_count);

/* Number of threads in the pool, the caller included; 1 for a NULL pool. */
int facet_thread_pool_threads(const FacetThreadPool *pool);

/* Stops and joins the workers, frees the pool and sets *pool to NULL. Safe on
 * NULL and on a pointer to NULL. */
void facet_thread_pool_destroy(FacetThreadPool **pool);

#endif /* FACET_RENDER_THREAD_POOL_H */
