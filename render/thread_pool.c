/* SPDX-License-Identifier: BSD-2-Clause */
/* Parallel-for over a fixed set of pthreads; see thread_pool.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "render/thread_pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* After a run, workers (and the caller, waiting for them) poll for this long
 * before sleeping: the renderer issues its ops back to back, and a sleeping
 * thread takes tens of microseconds to wake - as long as a small op.
 * (-DSPIN_NS=0 turns polling off, for comparisons.) */
#ifndef SPIN_NS
#define SPIN_NS 50000
#endif

typedef struct Worker {
    FacetThreadPool *pool;
    pthread_t thread;
    int index;
} Worker;

struct FacetThreadPool {
    pthread_mutex_t lock;
    pthread_cond_t wake;      /* a new run (or quit) for the workers */
    pthread_cond_t finished;  /* the last worker left the current run */
    Worker *workers;
    int worker_count;         /* threads - 1 */
    int started;              /* workers successfully created */

    /* The current run; written under `lock` before `generation` moves. */
    FacetJobFn fn;
    void *ctx;
    int job_count;
    atomic_int next_job;
    /* Changed under `lock`; read without it only to decide whether to
     * keep spinning. */
    atomic_uint generation;
    atomic_int busy_workers;  /* workers inside the current run */
    atomic_int quit;
    int open;                 /* the current run still accepts workers */
};

static void cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Polls until *value != unwanted (or quit), for at most SPIN_NS. */
static void spin_while_uint(const atomic_uint *value, unsigned unwanted, const atomic_int *quit)
{
    int64_t start = now_ns();
    for (int i = 1;; i++) {
        if (atomic_load_explicit(value, memory_order_relaxed) != unwanted ||
            atomic_load_explicit(quit, memory_order_relaxed))
            return;
        cpu_relax();
        if (i % 64 == 0 && now_ns() - start > SPIN_NS)
            return;
    }
}

static void spin_while_busy(const atomic_int *busy)
{
    int64_t start = now_ns();
    for (int i = 1;; i++) {
        if (atomic_load_explicit(busy, memory_order_relaxed) == 0)
            return;
        cpu_relax();
        if (i % 64 == 0 && now_ns() - start > SPIN_NS)
            return;
    }
}

static int processor_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n < FACET_THREAD_POOL_MAX_THREADS ? n : FACET_THREAD_POOL_MAX_THREADS)
                 : 1;
}

static void take_jobs(FacetThreadPool *pool, FacetJobFn fn, void *ctx, int job_count,
                      int thread)
{
    for (;;) {
        int job = atomic_fetch_add_explicit(&pool->next_job, 1, memory_order_relaxed);
        if (job >= job_count || job < 0) /* < 0: the counter wrapped past INT_MAX */
            break;
        fn(ctx, job, thread);
    }
}

static void *worker_main(void *arg)
{
    Worker *self = arg;
    FacetThreadPool *pool = self->pool;
    unsigned seen = 0;

    for (;;) {
        spin_while_uint(&pool->generation, seen, &pool->quit);
        pthread_mutex_lock(&pool->lock);
        while (!atomic_load(&pool->quit) && atomic_load(&pool->generation) == seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        if (atomic_load(&pool->quit)) {
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        seen = atomic_load(&pool->generation);
        /* A worker that comes after the caller closed the run stays out:
         * the run's ctx may already be gone. */
        if (!pool->open) {
            pthread_mutex_unlock(&pool->lock);
            continue;
        }
        atomic_fetch_add(&pool->busy_workers, 1);
        FacetJobFn fn = pool->fn;
        void *ctx = pool->ctx;
        int job_count = pool->job_count;
        pthread_mutex_unlock(&pool->lock);

        take_jobs(pool, fn, ctx, job_count, self->index);

        pthread_mutex_lock(&pool->lock);
        if (atomic_fetch_sub(&pool->busy_workers, 1) == 1)
            pthread_cond_signal(&pool->finished);
        pthread_mutex_unlock(&pool->lock);
    }
    return NULL;
}

static void stop_workers(FacetThreadPool *pool)
{
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->quit, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->started; i++)
        pthread_join(pool->workers[i].thread, NULL);
    pool->started = 0;
}

int facet_thread_pool_create(FacetThreadPool **out, int threads)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (threads < 0)
        return -EINVAL;
    if (threads == 0)
        threads = processor_count();
    if (threads > FACET_THREAD_POOL_MAX_THREADS)
        threads = FACET_THREAD_POOL_MAX_THREADS;

    int ret = -ENOMEM;
    FacetThreadPool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    atomic_init(&pool->next_job, 0);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->busy_workers, 0);
    atomic_init(&pool->quit, 0);
    pool->worker_count = threads - 1;
    if (pool->worker_count > 0) {
        pool->workers = calloc((size_t)pool->worker_count, sizeof(*pool->workers));
        if (!pool->workers)
            goto error_free;
    }
    if ((ret = -pthread_mutex_init(&pool->lock, NULL)) != 0)
        goto error_free;
    if ((ret = -pthread_cond_init(&pool->wake, NULL)) != 0)
        goto error_mutex;
    if ((ret = -pthread_cond_init(&pool->finished, NULL)) != 0)
        goto error_wake;
    for (int i = 0; i < pool->worker_count; i++) {
        Worker *w = &pool->workers[i];
        w->pool = pool;
        w->index = i + 1;
        if ((ret = -pthread_create(&w->thread, NULL, worker_main, w)) != 0)
            goto error_threads;
        pool->started++;
    }
    *out = pool;
    return 0;

error_threads:
    stop_workers(pool);
    pthread_cond_destroy(&pool->finished);
error_wake:
    pthread_cond_destroy(&pool->wake);
error_mutex:
    pthread_mutex_destroy(&pool->lock);
error_free:
    free(pool->workers);
    free(pool);
    return ret;
}

void facet_thread_pool_run(FacetThreadPool *pool, FacetJobFn fn, void *ctx, int job_count)
{
    if (!fn || job_count <= 0)
        return;
    /* One job, or no workers: waking threads would only add latency. */
    if (!pool || pool->worker_count == 0 || job_count == 1) {
        for (int job = 0; job < job_count; job++)
            fn(ctx, job, 0);
        return;
    }

    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->job_count = job_count;
    atomic_store_explicit(&pool->next_job, 0, memory_order_relaxed);
    pool->open = 1;
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);

    take_jobs(pool, fn, ctx, job_count, 0);

    /* Every job has been taken; wait only for workers still running one
     * (not for those still asleep), then close the run. The mutex hand-over
     * orders the workers' writes before our return. */
    spin_while_busy(&pool->busy_workers);
    pthread_mutex_lock(&pool->lock);
    while (atomic_load(&pool->busy_workers) > 0)
        pthread_cond_wait(&pool->finished, &pool->lock);
    pool->open = 0;
    pthread_mutex_unlock(&pool->lock);
}

int facet_thread_pool_threads(const FacetThreadPool *pool)
{
    return pool ? pool->worker_count + 1 : 1;
}

void facet_thread_pool_destroy(FacetThreadPool **pool_ptr)
{
    if (!pool_ptr || !*pool_ptr)
        return;
    FacetThreadPool *pool = *pool_ptr;
    stop_workers(pool);
    pthread_cond_destroy(&pool->finished);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->workers);
    free(pool);
    *pool_ptr = NULL;
}
