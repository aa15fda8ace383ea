/* fetch_raw: reads a topic from offset 0 with plain Kafka Fetch v4 requests on one connection and parses only what
 * it must (response framing and record batch headers: base offset, last offset delta, record count), so the figure
 * is what the broker can serve, not what a client library can decode.
 *
 *   fetch_raw -h HOST -p PORT -t TOPIC -P PARTITIONS -n RECORDS [-m MAX_BYTES] [-T MAX_SECONDS]
 *
 * One request at a time (as a consumer does), every partition in each request, each partition continuing at the
 * offset after its last whole batch. Prints one JSON object. Exit 0 when RECORDS records were read. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "latency.h"

static int fd = -1;

static void die(const char *what) {
    fprintf(stderr, "fetch_raw: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void send_all(const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, 0);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("send");
        }
        p += w;
        n -= (size_t)w;
    }
}

static void recv_all(void *data, size_t n) {
    char *p = data;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("recv");
        }
        if (r == 0) {
            fprintf(stderr, "fetch_raw: connection closed\n");
            exit(2);
        }
        p += r;
        n -= (size_t)r;
    }
}

typedef struct {
    unsigned char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}
static void put16(buf *b, int16_t v) { uint16_t x = htons((uint16_t)v); put(b, &x, 2); }
static void put32(buf *b, int32_t v) { uint32_t x = htonl((uint32_t)v); put(b, &x, 4); }
static void put64(buf *b, int64_t v) { put32(b, (int32_t)((uint64_t)v >> 32)); put32(b, (int32_t)(uint32_t)v); }
static void putstr(buf *b, const char *s) { put16(b, (int16_t)strlen(s)); put(b, s, strlen(s)); }

static int32_t get32(const unsigned char *p) { uint32_t x; memcpy(&x, p, 4); return (int32_t)ntohl(x); }
static int16_t get16(const unsigned char *p) { uint16_t x; memcpy(&x, p, 2); return (int16_t)ntohs(x); }
static int64_t get64(const unsigned char *p) { return ((int64_t)get32(p) << 32) | (uint32_t)get32(p + 4); }

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *topic = NULL;
    int port = 9092, partitions = 1, c;
    long long want = 0;
    int32_t max_bytes = 64 << 20;
    double max_seconds = 120;
    while ((c = getopt(argc, argv, "h:p:t:P:n:m:T:")) != -1) {
        switch (c) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': topic = optarg; break;
        case 'P': partitions = atoi(optarg); break;
        case 'n': want = atoll(optarg); break;
        case 'm': max_bytes = atoi(optarg); break;
        case 'T': max_seconds = atof(optarg); break;
        default: return 2;
        }
    }
    if (!topic || want <= 0 || partitions <= 0 || partitions > 1024) {
        fprintf(stderr, "usage: fetch_raw -h HOST -p PORT -t TOPIC -P PARTITIONS -n RECORDS [-m MAX_BYTES]\n");
        return 2;
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rcvbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

    int64_t offsets[1024] = {0};
    long long records = 0, batches = 0, record_bytes = 0, requests = 0;
    size_t response_cap = (size_t)max_bytes + (1 << 20);
    unsigned char *response = malloc(response_cap);
    buf req = {0};
    uint64_t start = now_ns(), deadline = start + (uint64_t)(max_seconds * 1e9);
    int32_t correlation = 0;
    while (records < want && now_ns() < deadline) {
        req.len = 0;
        put32(&req, 0); /* size, patched below */
        put16(&req, 1); /* Fetch */
        put16(&req, 4);
        put32(&req, ++correlation);
        putstr(&req, "fjord-bench-fetch-raw");
        put32(&req, -1);  /* replica_id */
        put32(&req, 500); /* max_wait_ms */
        put32(&req, 1);   /* min_bytes */
        put32(&req, max_bytes);
        put(&req, "\0", 1); /* isolation_level: read_uncommitted */
        put32(&req, 1);
        putstr(&req, topic);
        put32(&req, partitions);
        for (int p = 0; p < partitions; p++) {
            put32(&req, p);
            put64(&req, offsets[p]);
            put32(&req, max_bytes / partitions);
        }
        int32_t size = htonl((uint32_t)(req.len - 4));
        memcpy(req.data, &size, 4);
        send_all(req.data, req.len);
        requests++;
        unsigned char head[4];
        recv_all(head, 4);
        size_t n = (size_t)get32(head);
        if (n > response_cap) {
            fprintf(stderr, "fetch_raw: response of %zu bytes\n", n);
            return 2;
        }
        recv_all(response, n);
        const unsigned char *p = response + 8, *end = response + n; /* correlation id, throttle time */
        int32_t topics = get32(p);
        p += 4;
        for (int t = 0; t < topics; t++) {
            p += 2 + get16(p);
            int32_t parts = get32(p);
            p += 4;
            for (int i = 0; i < parts; i++) {
                int32_t partition = get32(p);
                int16_t error = get16(p + 4);
                p += 4 + 2 + 8 + 8;
                int32_t aborted = get32(p);
                p += 4 + (aborted > 0 ? aborted * 16 : 0);
                int32_t len = get32(p);
                p += 4;
                if (error != 0) {
                    fprintf(stderr, "fetch_raw: partition %d error %d\n", partition, error);
                    return 1;
                }
                if (len <= 0) continue;
                const unsigned char *b = p, *bend = p + len;
                if (bend > end) return 2;
                while (bend - b >= 61) {
                    int64_t base = get64(b);
                    int32_t length = get32(b + 8);
                    if (bend - b < 12 + length) break; /* partial batch */
                    int32_t last_delta = get32(b + 23);
                    records += get32(b + 57);
                    batches++;
                    if (partition >= 0 && partition < partitions) offsets[partition] = base + last_delta + 1;
                    b += 12 + length;
                }
                record_bytes += len;
                p += len;
            }
        }
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    printf("{\"mode\":\"fetch_raw\",\"records\":%lld,\"batches\":%lld,\"bytes\":%lld,\"requests\":%lld,"
           "\"seconds\":%.4f,\"records_per_s\":%.1f,\"mb_per_s\":%.3f}\n",
           records, batches, record_bytes, requests, seconds, (double)records / seconds,
           (double)record_bytes / seconds / 1e6);
    close(fd);
    return records >= want ? 0 : 1;
}
