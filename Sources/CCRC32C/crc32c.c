// CRC-32C with the reflected Castagnoli polynomial 0x82F63B78.
//
// Hardware path: the SSE4.2 crc32 instruction has a latency of three cycles and a throughput of one, so three
// independent streams are run side by side over blocks of `kLong` (then `kShort`) bytes and combined by
// multiplying the earlier streams' CRCs by x^(8*block) mod P with precomputed tables (the "zeros operator").
#include "CCRC32C.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82f63b78u
#define kLong 8192
#define kShort 256

static uint32_t table8[8][256];       // slicing-by-8 tables for the software path
static uint32_t zeros_long[4][256];   // shift a CRC over kLong zero bytes
static uint32_t zeros_short[4][256];  // shift a CRC over kShort zero bytes
static int have_sse42;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t gf2_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    while (vec) {
        if (vec & 1) sum ^= *mat;
        vec >>= 1;
        mat++;
    }
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(mat, mat[n]);
}

// Builds in `op` the operator that appends `len` zero bytes (len a power of two, at least 1).
static void zeros_operator(uint32_t *op, size_t len) {
    uint32_t odd[32], even[32];
    odd[0] = POLY;  // one zero bit
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_square(even, odd);  // two zero bits
    gf2_square(odd, even);  // four zero bits
    // Each square doubles the count; the first one below yields one zero byte.
    uint32_t *cur = odd, *next = even;
    for (;;) {
        gf2_square(next, cur);
        uint32_t *t = cur;
        cur = next;
        next = t;
        if (len == 1) break;
        len >>= 1;
    }
    memcpy(op, cur, sizeof(uint32_t) * 32);
}

static void zeros_table(uint32_t table[4][256], size_t len) {
    uint32_t op[32];
    zeros_operator(op, len);
    for (uint32_t n = 0; n < 256; n++) {
        table[0][n] = gf2_times(op, n);
        table[1][n] = gf2_times(op, n << 8);
        table[2][n] = gf2_times(op, n << 16);
        table[3][n] = gf2_times(op, n << 24);
    }
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t crc) {
    return table[0][crc & 0xff] ^ table[1][(crc >> 8) & 0xff] ^ table[2][(crc >> 16) & 0xff] ^ table[3][crc >> 24];
}

static void init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ POLY : crc >> 1;
        table8[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table8[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table8[0][crc & 0xff] ^ (crc >> 8);
            table8[k][n] = crc;
        }
    }
    zeros_table(zeros_long, kLong);
    zeros_table(zeros_short, kShort);
#if defined(__x86_64__)
    __builtin_cpu_init();
    have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t fjord_crc32c_software(uint32_t crc, const void *buf, size_t len) {
    pthread_once(&once, init);
    const unsigned char *p = buf;
    crc = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        crc = table8[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;  // little-endian hosts only below; big-endian takes the byte loop
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        crc = table8[7][word & 0xff] ^ table8[6][(word >> 8) & 0xff] ^ table8[5][(word >> 16) & 0xff] ^
              table8[4][(word >> 24) & 0xff] ^ table8[3][(word >> 32) & 0xff] ^ table8[2][(word >> 40) & 0xff] ^
              table8[1][(word >> 48) & 0xff] ^ table8[0][word >> 56];
        p += 8;
        len -= 8;
#else
        break;
#endif
    }
    while (len--) crc = table8[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len) {
    const unsigned char *next = buf;
    uint64_t crc0 = ~crc;
    while (len && ((uintptr_t)next & 7)) {
        crc0 = __builtin_ia32_crc32qi((uint32_t)crc0, *next++);
        len--;
    }
    // Three streams over kLong-byte blocks, then over kShort-byte blocks.
    while (len >= kLong * 3) {
        uint64_t crc1 = 0, crc2 = 0;
        const unsigned char *end = next + kLong;
        do {
            uint64_t a, b, c;
            memcpy(&a, next, 8);
            memcpy(&b, next + kLong, 8);
            memcpy(&c, next + 2 * kLong, 8);
            crc0 = __builtin_ia32_crc32di(crc0, a);
            crc1 = __builtin_ia32_crc32di(crc1, b);
            crc2 = __builtin_ia32_crc32di(crc2, c);
            next += 8;
        } while (next < end);
        crc0 = shift(zeros_long, (uint32_t)crc0) ^ crc1;
        crc0 = shift(zeros_long, (uint32_t)crc0) ^ crc2;
        next += kLong * 2;
        len -= kLong * 3;
    }
    while (len >= kShort * 3) {
        uint64_t crc1 = 0, crc2 = 0;
        const unsigned char *end = next + kShort;
        do {
            uint64_t a, b, c;
            memcpy(&a, next, 8);
            memcpy(&b, next + kShort, 8);
            memcpy(&c, next + 2 * kShort, 8);
            crc0 = __builtin_ia32_crc32di(crc0, a);
            crc1 = __builtin_ia32_crc32di(crc1, b);
            crc2 = __builtin_ia32_crc32di(crc2, c);
            next += 8;
        } while (next < end);
        crc0 = shift(zeros_short, (uint32_t)crc0) ^ crc1;
        crc0 = shift(zeros_short, (uint32_t)crc0) ^ crc2;
        next += kShort * 2;
        len -= kShort * 3;
    }
    while (len >= 8) {
        uint64_t a;
        memcpy(&a, next, 8);
        crc0 = __builtin_ia32_crc32di(crc0, a);
        next += 8;
        len -= 8;
    }
    while (len) {
        crc0 = __builtin_ia32_crc32qi((uint32_t)crc0, *next++);
        len--;
    }
    return ~(uint32_t)crc0;
}
#endif

int fjord_crc32c_hardware_available(void) {
    pthread_once(&once, init);
    return have_sse42;
}

uint32_t fjord_crc32c(uint32_t crc, const void *buf, size_t len) {
    pthread_once(&once, init);
#if defined(__x86_64__)
    if (have_sse42) return crc32c_hw(crc, buf, len);
#endif
    return fjord_crc32c_software(crc, buf, len);
}
