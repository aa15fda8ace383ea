/* Fjord bench drivers: a fixed-memory latency histogram and small shared helpers.
 *
 * Latencies are kept in 1-microsecond buckets up to 100 ms and 1-millisecond buckets up to 100 s (larger values
 * land in the last bucket), so percentiles are exact to the microsecond where they matter and memory is bounded
 * whatever the record count. Not thread-safe: each histogram is written by one thread. */
#ifndef FJORD_BENCH_LATENCY_H
#define FJORD_BENCH_LATENCY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LAT_FINE_BUCKETS 100000  /* 1 us each: 0 .. 100 ms */
#define LAT_COARSE_BUCKETS 100000 /* 1 ms each: 100 ms .. 100.1 s */

typedef struct {
    uint64_t *fine;
    uint64_t *coarse;
    uint64_t count;
    uint64_t max_us;
} latency_hist;

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void lat_init(latency_hist *h) {
    h->fine = calloc(LAT_FINE_BUCKETS, sizeof(uint64_t));
    h->coarse = calloc(LAT_COARSE_BUCKETS, sizeof(uint64_t));
    h->count = 0;
    h->max_us = 0;
    if (!h->fine || !h->coarse) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
}

static inline void lat_record_ns(latency_hist *h, uint64_t ns) {
    uint64_t us = ns / 1000;
    if (us < LAT_FINE_BUCKETS) {
        h->fine[us]++;
    } else {
        uint64_t ms = (us - LAT_FINE_BUCKETS) / 1000;
        if (ms >= LAT_COARSE_BUCKETS) ms = LAT_COARSE_BUCKETS - 1;
        h->coarse[ms]++;
    }
    if (us > h->max_us) h->max_us = us;
    h->count++;
}

/* The latency (milliseconds) at quantile q in [0, 1]; -1 when empty. */
static inline double lat_quantile_ms(const latency_hist *h, double q) {
    if (h->count == 0) return -1;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1;
    uint64_t seen = 0;
    for (uint64_t i = 0; i < LAT_FINE_BUCKETS; i++) {
        seen += h->fine[i];
        if (seen >= rank) return (double)i / 1000.0;
    }
    for (uint64_t i = 0; i < LAT_COARSE_BUCKETS; i++) {
        seen += h->coarse[i];
        if (seen >= rank) return (double)(LAT_FINE_BUCKETS + i * 1000) / 1000.0;
    }
    return (double)h->max_us / 1000.0;
}

static inline void lat_print_json(const latency_hist *h) {
    printf("\"latency_count\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f",
           (unsigned long long)h->count, lat_quantile_ms(h, 0.50), lat_quantile_ms(h, 0.99),
           lat_quantile_ms(h, 0.999), (double)h->max_us / 1000.0);
}

/* Sleeps until the monotonic clock reaches `deadline_ns` (returns at once if it has passed). */
static inline void sleep_until_ns(uint64_t deadline_ns) {
    uint64_t now = now_ns();
    if (deadline_ns <= now) return;
    uint64_t wait = deadline_ns - now;
    struct timespec ts = {(time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull)};
    nanosleep(&ts, NULL);
}

#endif
