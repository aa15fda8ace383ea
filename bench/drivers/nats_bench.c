/* nats_bench: the NATS JetStream load driver of `make bench`, on the NATS C client (Debian's libnats-dev).
 *
 *   nats_bench produce -u nats://127.0.0.1:PORT -n RECORDS -s BYTES [-P MAX_PENDING] [-T MAX_SECONDS]
 *   nats_bench e2e     -u nats://127.0.0.1:PORT -s BYTES -r RECORDS_PER_S -d SECONDS [-T MAX_SECONDS]
 *
 * Each run (re)creates the stream BENCH (subject bench.x, file storage, one replica, no limits) so it starts empty.
 * produce: asynchronous JetStream publishes with at most MAX_PENDING awaiting their PubAck (the client's flow
 *   control); latency is publish call -> PubAck. e2e: publishes at a fixed rate while a push consumer (ephemeral,
 *   deliver new, no acks) in the same process receives them; latency is publish call -> delivery. Values carry
 *   their send time (monotonic clock). Prints one JSON object; bounded by MAX_SECONDS (default 120). */
#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "latency.h"

static const char *url = "nats://127.0.0.1:4222";
static long long records = 0;
static int size = 100, max_pending = 16384;
static double rate = 0, seconds = 10, max_seconds = 120;

typedef struct {
    pthread_mutex_t lock;
    latency_hist hist;
    long long acked, failed;
    uint64_t last_ns;
} stats;

static void check(natsStatus s, const char *what) {
    if (s != NATS_OK) {
        fprintf(stderr, "nats_bench: %s: %s\n", what, natsStatus_GetText(s));
        nats_PrintLastErrorStack(stderr);
        exit(2);
    }
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
    (void)js;
    stats *s = closure;
    uint64_t now = now_ns(), sent = 0;
    if (natsMsg_GetDataLength(msg) >= 8) memcpy(&sent, natsMsg_GetData(msg), 8);
    pthread_mutex_lock(&s->lock);
    if (pa != NULL && pae == NULL) {
        s->acked++;
        s->last_ns = now;
        if (sent) lat_record_ns(&s->hist, now - sent);
    } else {
        s->failed++;
    }
    pthread_mutex_unlock(&s->lock);
    natsMsg_Destroy(msg);
}

static void recreate_stream(jsCtx *js) {
    jsErrCode jerr = 0;
    js_DeleteStream(js, "BENCH", NULL, &jerr); /* absent the first time */
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[] = {"bench.x"};
    cfg.Name = "BENCH";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = 1;
    jsStreamInfo *si = NULL;
    check(js_AddStream(&si, js, &cfg, NULL, &jerr), "add stream");
    jsStreamInfo_Destroy(si);
}

static jsCtx *connect_js(natsConnection **nc, stats *s) {
    natsOptions *opts = NULL;
    check(natsOptions_Create(&opts), "options");
    check(natsOptions_SetURL(opts, url), "url");
    check(natsOptions_SetMaxPendingMsgs(opts, 1000000), "pending");
    check(natsConnection_Connect(nc, opts), "connect");
    natsOptions_Destroy(opts);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = max_pending;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = s;
    jo.PublishAsync.StallWait = 30000;
    jo.Wait = 10000;
    jsCtx *js = NULL;
    check(natsConnection_JetStream(&js, *nc, &jo), "jetstream");
    recreate_stream(js);
    return js;
}

static void publish(jsCtx *js, char *payload) {
    uint64_t t = now_ns();
    memcpy(payload, &t, 8);
    natsStatus s = js_PublishAsync(js, "bench.x", payload, size, NULL);
    if (s != NATS_OK) check(s, "publish");
}

static void wait_complete(jsCtx *js, uint64_t deadline) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    int64_t left = (int64_t)(deadline > now_ns() ? (deadline - now_ns()) / 1000000 : 1);
    po.MaxWait = left > 0 ? left : 1;
    js_PublishAsyncComplete(js, &po);
}

static int run_produce(void) {
    stats s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    lat_init(&s.hist);
    natsConnection *nc = NULL;
    jsCtx *js = connect_js(&nc, &s);
    char *payload = malloc((size_t)size);
    memset(payload, 'x', (size_t)size);
    uint64_t start = now_ns(), deadline = start + (uint64_t)(max_seconds * 1e9);
    long long sent = 0;
    for (; sent < records && now_ns() < deadline; sent++) publish(js, payload);
    wait_complete(js, deadline + 30000000000ull);
    pthread_mutex_lock(&s.lock);
    double secs = (double)((s.last_ns ? s.last_ns : now_ns()) - start) / 1e9;
    printf("{\"mode\":\"produce\",\"records\":%lld,\"acked\":%lld,\"failed\":%lld,\"record_bytes\":%d,"
           "\"seconds\":%.4f,\"records_per_s\":%.1f,\"mb_per_s\":%.3f,",
           sent, s.acked, s.failed, size, secs, (double)s.acked / secs, (double)s.acked * size / secs / 1e6);
    lat_print_json(&s.hist);
    printf("}\n");
    int ok = s.acked == records;
    pthread_mutex_unlock(&s.lock);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return ok ? 0 : 1;
}

typedef struct {
    latency_hist hist;
    volatile uint64_t measure_from_ns;
    volatile long long received, measured;
} e2e_state;

static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
    (void)nc;
    (void)sub;
    e2e_state *e = closure;
    uint64_t now = now_ns(), sent = 0;
    if (natsMsg_GetDataLength(msg) >= 8) memcpy(&sent, natsMsg_GetData(msg), 8);
    e->received++;
    if (e->measure_from_ns && sent >= e->measure_from_ns) {
        lat_record_ns(&e->hist, now - sent);
        e->measured++;
    }
    natsMsg_Destroy(msg);
}

static int run_e2e(void) {
    if (rate <= 0 || size < 8) return 2;
    stats s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    lat_init(&s.hist);
    natsConnection *nc = NULL;
    jsCtx *js = connect_js(&nc, &s);
    e2e_state e = {0};
    lat_init(&e.hist);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverNew;
    so.Config.AckPolicy = js_AckNone;
    jsErrCode jerr = 0;
    natsSubscription *sub = NULL;
    check(js_Subscribe(&sub, js, "bench.x", on_message, &e, NULL, &so, &jerr), "subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    char *payload = malloc((size_t)size);
    memset(payload, 'x', (size_t)size);
    uint64_t begin = now_ns(), deadline = begin + (uint64_t)(max_seconds * 1e9);
    while (e.received == 0 && now_ns() < begin + 20000000000ull) {
        publish(js, payload);
        usleep(1000);
    }
    uint64_t start = now_ns();
    e.measure_from_ns = start;
    long long target = (long long)(rate * seconds), sent = 0;
    for (; sent < target && now_ns() < deadline; sent++) {
        sleep_until_ns(start + (uint64_t)((double)sent * 1e9 / rate));
        publish(js, payload);
    }
    double send_secs = (double)(now_ns() - start) / 1e9;
    wait_complete(js, now_ns() + 15000000000ull);
    uint64_t drain = now_ns() + 15000000000ull;
    while (e.measured < sent && now_ns() < drain) usleep(2000);
    natsSubscription_Unsubscribe(sub);
    pthread_mutex_lock(&s.lock);
    printf("{\"mode\":\"e2e\",\"target_rate\":%.1f,\"achieved_rate\":%.1f,\"sent\":%lld,\"measured\":%lld,"
           "\"record_bytes\":%d,\"failed\":%lld,",
           rate, (double)sent / send_secs, sent, e.measured, size, s.failed);
    lat_print_json(&e.hist);
    printf(",\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f}\n", lat_quantile_ms(&s.hist, 0.5),
           lat_quantile_ms(&s.hist, 0.99));
    pthread_mutex_unlock(&s.lock);
    int ok = e.measured >= sent;
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *mode = argv[1];
    int c;
    optind = 2;
    while ((c = getopt(argc, argv, "u:n:s:P:r:d:T:")) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'n': records = atoll(optarg); break;
        case 's': size = atoi(optarg); break;
        case 'P': max_pending = atoi(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'T': max_seconds = atof(optarg); break;
        default: return 2;
        }
    }
    if (size < 8) size = 8;
    if (!strcmp(mode, "produce")) return records > 0 ? run_produce() : 2;
    if (!strcmp(mode, "e2e")) return run_e2e();
    fprintf(stderr, "usage: nats_bench produce|e2e -u URL [-n N] [-s BYTES] [-r RATE] [-d SECONDS]\n");
    return 2;
}
