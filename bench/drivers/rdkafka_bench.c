/* rdkafka_bench: the Kafka-side load driver of `make bench`, on librdkafka's public C API (Debian's librdkafka-dev).
 *
 *   rdkafka_bench produce -b HOST:PORT -t TOPIC -n RECORDS -s BYTES [-a ACKS] [-l LINGER_MS] [-B BATCH_BYTES]
 *                         [-r RECORDS_PER_S] [-T MAX_SECONDS]
 *   rdkafka_bench consume -b HOST:PORT -t TOPIC -n RECORDS [-T MAX_SECONDS]
 *   rdkafka_bench e2e     -b HOST:PORT -t TOPIC -s BYTES -r RECORDS_PER_S -d SECONDS [-l LINGER_MS] [-a ACKS]
 *
 * produce: sends RECORDS values of BYTES bytes (null keys, sticky partitioning) as fast as the producer queue allows
 *   (or at RECORDS_PER_S), then flushes; latency is send call -> delivery report.
 * consume: reads every partition of TOPIC from offset 0 until RECORDS records arrived (no consumer group).
 * e2e: a producer at a fixed rate and a consumer in the same process; each value carries its send time, latency is
 *   send call -> record returned by the consumer (one monotonic clock, no clock skew).
 *
 * Prints one JSON object on stdout. Bounded: every mode stops after MAX_SECONDS (default 120) whatever happened.
 * Exit status 0 when every record was acknowledged / consumed, 1 otherwise, 2 on usage or setup errors. */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "latency.h"

typedef struct {
    const char *mode, *bootstrap, *topic;
    long long records;
    int size, acks, linger_ms, batch_bytes;
    double rate, seconds, max_seconds;
} options;

static options opt = {.records = 0, .size = 100, .acks = 1, .linger_ms = 5, .batch_bytes = 1 << 20,
                      .rate = 0, .seconds = 10, .max_seconds = 120};

static void usage(void) {
    fprintf(stderr, "usage: rdkafka_bench produce|consume|e2e -b BOOTSTRAP -t TOPIC [-n N] [-s BYTES] [-a ACKS] "
                    "[-l LINGER_MS] [-B BATCH_BYTES] [-r RATE] [-d SECONDS] [-T MAX_SECONDS]\n");
    exit(2);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "config %s=%s: %s\n", key, value, err);
        exit(2);
    }
}

static void seti(rd_kafka_conf_t *conf, const char *key, long long value) {
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    set(conf, key, text);
}

/* ---- producer ---------------------------------------------------------------------------------------------- */

typedef struct {
    latency_hist hist;
    long long acked, failed;
    uint64_t last_ack_ns;
    char first_error[256];
} producer_stats;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    producer_stats *s = opaque;
    uint64_t now = now_ns();
    if (m->err) {
        if (s->failed++ == 0) snprintf(s->first_error, sizeof s->first_error, "%s", rd_kafka_err2str(m->err));
        return;
    }
    s->acked++;
    s->last_ack_ns = now;
    lat_record_ns(&s->hist, now - (uint64_t)(uintptr_t)m->_private);
}

static rd_kafka_t *make_producer(producer_stats *stats) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    set(conf, "bootstrap.servers", opt.bootstrap);
    seti(conf, "acks", opt.acks);
    seti(conf, "linger.ms", opt.linger_ms);
    seti(conf, "batch.size", opt.batch_bytes);
    set(conf, "batch.num.messages", "1000000");
    set(conf, "queue.buffering.max.messages", "2000000");
    set(conf, "queue.buffering.max.kbytes", "1048576");
    set(conf, "message.timeout.ms", "60000");
    set(conf, "compression.codec", "none");
    set(conf, "socket.nagle.disable", "true"); /* as the Java client and the NATS client do */
    set(conf, "log_level", "3");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, stats);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        exit(2);
    }
    return rk;
}

/* Produces one value; waits (serving delivery reports) while the local queue is full. False past the deadline. */
static bool produce_one(rd_kafka_t *rk, rd_kafka_topic_t *topic, const char *payload, uint64_t deadline_ns) {
    for (;;) {
        uint64_t sent = now_ns();
        if (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)payload, (size_t)opt.size,
                             NULL, 0, (void *)(uintptr_t)sent) == 0)
            return true;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            return false;
        }
        rd_kafka_poll(rk, 1);
        if (now_ns() > deadline_ns) return false;
    }
}

static int run_produce(void) {
    producer_stats stats = {0};
    lat_init(&stats.hist);
    rd_kafka_t *rk = make_producer(&stats);
    rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, opt.topic, NULL);
    char *payload = malloc((size_t)opt.size);
    for (int i = 0; i < opt.size; i++) payload[i] = (char)('a' + i % 26);
    /* Metadata first, so the timed part measures producing, not bootstrapping. */
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, topic, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
    uint64_t start = now_ns();
    uint64_t deadline = start + (uint64_t)(opt.max_seconds * 1e9);
    long long sent = 0;
    for (; sent < opt.records; sent++) {
        if (opt.rate > 0) sleep_until_ns(start + (uint64_t)((double)sent * 1e9 / opt.rate));
        if (!produce_one(rk, topic, payload, deadline)) break;
        if ((sent & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    uint64_t sent_end = now_ns();
    while (rd_kafka_outq_len(rk) > 0 && now_ns() < deadline + 30000000000ull) rd_kafka_poll(rk, 10);
    double seconds = (double)((stats.last_ack_ns ? stats.last_ack_ns : now_ns()) - start) / 1e9;
    printf("{\"mode\":\"produce\",\"records\":%lld,\"acked\":%lld,\"failed\":%lld,\"record_bytes\":%d,"
           "\"seconds\":%.4f,\"send_seconds\":%.4f,\"records_per_s\":%.1f,\"mb_per_s\":%.3f,",
           sent, stats.acked, stats.failed, opt.size, seconds, (double)(sent_end - start) / 1e9,
           (double)stats.acked / seconds, (double)stats.acked * opt.size / seconds / 1e6);
    lat_print_json(&stats.hist);
    printf(",\"error\":\"%s\"}\n", stats.first_error);
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(rk);
    return stats.acked == opt.records ? 0 : 1;
}

/* ---- consumer ---------------------------------------------------------------------------------------------- */

static rd_kafka_t *make_consumer(int wait_ms) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    set(conf, "bootstrap.servers", opt.bootstrap);
    set(conf, "group.id", "fjord-bench-unused");  /* required by the consumer API; no subscribe, no commits */
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "fetch.max.bytes", "104857600");
    set(conf, "max.partition.fetch.bytes", "16777216");
    set(conf, "receive.message.max.bytes", "210000000");
    set(conf, "queued.max.messages.kbytes", "1048576");
    set(conf, "queued.min.messages", "1000000");
    seti(conf, "fetch.wait.max.ms", wait_ms);
    set(conf, "fetch.min.bytes", "1");
    set(conf, "socket.nagle.disable", "true");
    set(conf, "log_level", "3");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", err);
        exit(2);
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* Assigns every partition of the topic at the beginning; returns the partition count (0 on failure). */
static int assign_all(rd_kafka_t *rk) {
    rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, opt.topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int count = 0;
    for (int attempt = 0; attempt < 50 && count == 0; attempt++) {
        if (rd_kafka_metadata(rk, 0, topic, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && md->topics[0].err == 0) count = md->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(md);
        }
        if (count == 0) usleep(100000);
    }
    rd_kafka_topic_destroy(topic);
    if (count == 0) return 0;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(count);
    for (int p = 0; p < count; p++)
        rd_kafka_topic_partition_list_add(list, opt.topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    return count;
}

static int run_consume(void) {
    rd_kafka_t *rk = make_consumer(100);
    int partitions = assign_all(rk);
    if (partitions == 0) {
        fprintf(stderr, "consume: no metadata for %s\n", opt.topic);
        return 2;
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    enum { BATCH = 10000 };
    static rd_kafka_message_t *messages[BATCH];
    uint64_t assigned = now_ns(), first = 0, last = 0;
    uint64_t deadline = assigned + (uint64_t)(opt.max_seconds * 1e9);
    long long count = 0, bytes = 0, errors = 0;
    while (count < opt.records && now_ns() < deadline) {
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, messages, BATCH);
        for (ssize_t i = 0; i < n; i++) {
            if (messages[i]->err) {
                errors++;
            } else {
                count++;
                bytes += (long long)messages[i]->len;
            }
            rd_kafka_message_destroy(messages[i]);
        }
        if (n > 0) {
            last = now_ns();
            if (!first) first = last;
        }
    }
    double seconds = first ? (double)(last - first) / 1e9 : 0;
    if (seconds <= 0) seconds = 1e-9;
    printf("{\"mode\":\"consume\",\"records\":%lld,\"bytes\":%lld,\"errors\":%lld,\"partitions\":%d,"
           "\"seconds\":%.4f,\"seconds_from_assign\":%.4f,\"records_per_s\":%.1f,\"mb_per_s\":%.3f}\n",
           count, bytes, errors, partitions, seconds, (double)(last - assigned) / 1e9, (double)count / seconds,
           (double)bytes / seconds / 1e6);
    rd_kafka_queue_destroy(queue);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return count >= opt.records ? 0 : 1;
}

/* ---- end to end -------------------------------------------------------------------------------------------- */

typedef struct {
    rd_kafka_t *rk;
    latency_hist hist;
    volatile uint64_t measure_from_ns; /* records sent before this are warm-up */
    volatile long long received, measured;
    volatile bool stop;
} e2e_consumer;

static void e2e_record(rd_kafka_message_t *m, void *opaque) {
    e2e_consumer *c = opaque;
    if (m->err || m->len < 8) return;
    uint64_t now = now_ns(), sent;
    memcpy(&sent, m->payload, 8);
    c->received++;
    if (c->measure_from_ns && sent >= c->measure_from_ns) {
        lat_record_ns(&c->hist, now - sent);
        c->measured++;
    }
}

static void *e2e_consume(void *arg) {
    e2e_consumer *c = arg;
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(c->rk);
    /* The callback interface waits only for the first record and then hands over everything already queued:
     * rd_kafka_consume_batch_queue would hold records until its batch is full or its timeout passes, and
     * one rd_kafka_consumer_poll per record cannot keep up at high rates. (Deprecated in librdkafka, still public.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    while (!c->stop) rd_kafka_consume_callback_queue(queue, 20, e2e_record, c);
#pragma GCC diagnostic pop
    rd_kafka_queue_destroy(queue);
    return NULL;
}

static int run_e2e(void) {
    if (opt.size < 8 || opt.rate <= 0) usage();
    producer_stats stats = {0};
    lat_init(&stats.hist);
    rd_kafka_t *producer = make_producer(&stats);
    rd_kafka_topic_t *topic = rd_kafka_topic_new(producer, opt.topic, NULL);
    e2e_consumer consumer = {0};
    lat_init(&consumer.hist);
    consumer.rk = make_consumer(100);
    if (assign_all(consumer.rk) == 0) {
        fprintf(stderr, "e2e: no metadata for %s\n", opt.topic);
        return 2;
    }
    pthread_t thread;
    pthread_create(&thread, NULL, e2e_consume, &consumer);
    char *payload = malloc((size_t)opt.size);
    memset(payload, 'x', (size_t)opt.size);
    uint64_t begin = now_ns();
    uint64_t hard_deadline = begin + (uint64_t)(opt.max_seconds * 1e9);
    /* Warm-up: a record every millisecond until the consumer sees one (fetch positions established). */
    while (consumer.received == 0 && now_ns() < begin + 20000000000ull) {
        uint64_t t = now_ns();
        memcpy(payload, &t, 8);
        produce_one(producer, topic, payload, hard_deadline);
        rd_kafka_poll(producer, 1);
    }
    uint64_t start = now_ns();
    consumer.measure_from_ns = start;
    long long target = (long long)(opt.rate * opt.seconds), sent = 0;
    for (; sent < target; sent++) {
        uint64_t due = start + (uint64_t)((double)sent * 1e9 / opt.rate);
        if (now_ns() < due) {
            rd_kafka_poll(producer, 0);
            sleep_until_ns(due);
        }
        uint64_t t = now_ns();
        memcpy(payload, &t, 8);
        if (!produce_one(producer, topic, payload, hard_deadline)) break;
        if ((sent & 255) == 0) rd_kafka_poll(producer, 0);
    }
    double send_seconds = (double)(now_ns() - start) / 1e9;
    uint64_t drain = now_ns() + 15000000000ull;
    while ((rd_kafka_outq_len(producer) > 0 || consumer.measured < sent) && now_ns() < drain) rd_kafka_poll(producer, 5);
    consumer.stop = true;
    pthread_join(thread, NULL);
    printf("{\"mode\":\"e2e\",\"target_rate\":%.1f,\"achieved_rate\":%.1f,\"sent\":%lld,\"measured\":%lld,"
           "\"record_bytes\":%d,\"failed\":%lld,",
           opt.rate, (double)sent / send_seconds, sent, consumer.measured, opt.size, stats.failed);
    lat_print_json(&consumer.hist);
    printf(",\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f}\n", lat_quantile_ms(&stats.hist, 0.5),
           lat_quantile_ms(&stats.hist, 0.99));
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(producer);
    rd_kafka_consumer_close(consumer.rk);
    rd_kafka_destroy(consumer.rk);
    return consumer.measured >= sent ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    opt.mode = argv[1];
    int c;
    optind = 2;
    while ((c = getopt(argc, argv, "b:t:n:s:a:l:B:r:d:T:")) != -1) {
        switch (c) {
        case 'b': opt.bootstrap = optarg; break;
        case 't': opt.topic = optarg; break;
        case 'n': opt.records = atoll(optarg); break;
        case 's': opt.size = atoi(optarg); break;
        case 'a': opt.acks = atoi(optarg); break;
        case 'l': opt.linger_ms = atoi(optarg); break;
        case 'B': opt.batch_bytes = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'd': opt.seconds = atof(optarg); break;
        case 'T': opt.max_seconds = atof(optarg); break;
        default: usage();
        }
    }
    if (!opt.bootstrap || !opt.topic || opt.size <= 0) usage();
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(opt.mode, "produce")) return opt.records > 0 ? run_produce() : (usage(), 2);
    if (!strcmp(opt.mode, "consume")) return opt.records > 0 ? run_consume() : (usage(), 2);
    if (!strcmp(opt.mode, "e2e")) return run_e2e();
    usage();
    return 2;
}
