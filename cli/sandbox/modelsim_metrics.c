/*
 * modelsim_metrics.c: the simulator's GET /metrics, in Prometheus text
 * format with vLLM's metric names (reference/BENCH-ANCHORS.md 4.7), so a
 * benchmark can scrape it as it would a vLLM server
 * (`maasctl bench --server-metrics`).
 *
 * The values are the simulator's counters summed over its models
 * (modelsim_get_stats): requests running and waiting, prompt and
 * generation tokens, finished requests, the prefix cache's block lookups,
 * hits and occupancy (as vllm:kv_cache_usage_perc), and the sums and
 * counts of the queue, prefill and decode times (histograms with the +Inf
 * bucket only; their _sum and _count are what rates and means need).
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "xalloc.h"

#include "sandbox/modelsim.h"

static void
metric(struct strbuf *sb, const char *name, const char *type,
    const char *help, double v)
{
	sb_addf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help,
	    name, type, name, v);
}

static void
histogram(struct strbuf *sb, const char *name, const char *help,
    double sum, unsigned long count)
{
	sb_addf(sb, "# HELP %s %s\n# TYPE %s histogram\n"
	    "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.17g\n%s_count %lu\n",
	    name, help, name, name, count, name, sum, name, count);
}

/* Answer GET .../metrics with the simulator's counters. */
void
modelsim_metrics_reply(const struct modelsim *ms, struct evhttp_request *req)
{
	struct modelsim_stats	 st;
	struct strbuf		 sb = STRBUF_INIT;
	struct evbuffer		*b;

	modelsim_get_stats(ms, &st);
	metric(&sb, "vllm:num_requests_running", "gauge",
	    "Number of requests in model execution batches.",
	    (double)st.running);
	metric(&sb, "vllm:num_requests_waiting", "gauge",
	    "Number of requests waiting to be processed.",
	    (double)st.waiting);
	metric(&sb, "vllm:kv_cache_usage_perc", "gauge",
	    "KV-cache usage. 1 means 100 percent usage (prefix cache blocks "
	    "resident / capacity).", st.cache_capacity > 0 ?
	    (double)st.cache_used / (double)st.cache_capacity : 0);
	metric(&sb, "vllm:prefix_cache_queries_total", "counter",
	    "Prefix cache queries, in terms of number of queried blocks.",
	    (double)st.cache_queries);
	metric(&sb, "vllm:prefix_cache_hits_total", "counter",
	    "Prefix cache hits, in terms of number of cached blocks.",
	    (double)st.cache_hits);
	metric(&sb, "vllm:prompt_tokens_total", "counter",
	    "Number of prefill tokens processed.", (double)st.prompt_tokens);
	metric(&sb, "vllm:generation_tokens_total", "counter",
	    "Number of generation tokens processed.", (double)st.tokens);
	metric(&sb, "vllm:request_success_total", "counter",
	    "Count of successfully processed requests.",
	    (double)st.completed);
	histogram(&sb, "vllm:request_queue_time_seconds",
	    "Histogram of time spent in WAITING phase for request.",
	    st.queue_time, st.admitted);
	histogram(&sb, "vllm:request_prefill_time_seconds",
	    "Histogram of time spent in PREFILL phase for request.",
	    st.prefill_time, st.timed);
	histogram(&sb, "vllm:request_decode_time_seconds",
	    "Histogram of time spent in DECODE phase for request.",
	    st.decode_time, st.timed);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	b = evbuffer_new();
	evbuffer_add(b, sb.buf, sb.len);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	sb_free(&sb);
}
