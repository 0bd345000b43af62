/* test_promscrape.c: Prometheus text parsing and per-interval figures of
 * bench --server-metrics. */
#include <math.h>
#include <string.h>

#include "promscrape.h"
#include "tap.h"

TEST(parse)
{
	static const char text[] =
	    "# HELP vllm:num_requests_running Running.\n"
	    "# TYPE vllm:num_requests_running gauge\n"
	    "vllm:num_requests_running{engine=\"0\",model_name=\"a}b\"} 3\n"
	    "vllm:num_requests_running{engine=\"1\",model_name=\"x\\\"y\"} 4\n"
	    "  vllm:num_requests_waiting 2 1700000000000\n"
	    "vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.25\n"
	    "vllm:request_queue_time_seconds_bucket{le=\"+Inf\"} 9\n"
	    "vllm:request_queue_time_seconds_sum 1.5\n"
	    "vllm:request_queue_time_seconds_count 3\n"
	    "vllm:generation_tokens_total NaN\n"
	    "vllm:prompt_tokens_total{broken=\"unterminated} 7\n"
	    "vllm:prefix_cache_hits_total 1e2\n"
	    "process_cpu_seconds_total 12\n"
	    "vllm:num_requests_running_other 99\n";
	struct ps_sample s;

	is_int(ps_parse(text, sizeof text - 1, &s), 6, "six known series");
	ok(s.v[PS_RUNNING] == 7, "running summed over label sets: %g",
	    s.v[PS_RUNNING]);
	ok(s.v[PS_WAITING] == 2, "a timestamp after the value is ignored");
	ok(s.v[PS_KV_USAGE] == 0.25, "gpu_cache_usage_perc is KV usage");
	ok(s.v[PS_QUEUE_SUM] == 1.5 && s.v[PS_QUEUE_COUNT] == 3,
	    "histogram sum and count; buckets ignored");
	ok(isnan(s.v[PS_GEN_TOKENS]), "NaN values are absent");
	ok(isnan(s.v[PS_PROMPT_TOKENS]), "unterminated labels skipped");
	ok(s.v[PS_PREFIX_HITS] == 100, "exponent notation");
	ok(isnan(s.v[PS_DECODE_SUM]), "missing series are NaN");
	is_int(ps_parse("", 0, &s), 0, "empty text: nothing");
	is_int(ps_parse("vllm:num_requests_running", 25, &s), 0,
	    "a name without a value");
}

TEST(derive)
{
	struct ps_sample	 a, b;
	double			 d[PSD_NDERIVED];
	int			 k;

	for (k = 0; k < PS_NMETRIC; k++)
		a.v[k] = b.v[k] = NAN;
	a.t = 0;
	b.t = 2000000000;
	a.v[PS_RUNNING] = 1;
	b.v[PS_RUNNING] = 5;
	a.v[PS_PREFIX_QUERIES] = 10;
	b.v[PS_PREFIX_QUERIES] = 30;
	a.v[PS_PREFIX_HITS] = 5;
	b.v[PS_PREFIX_HITS] = 20;
	a.v[PS_PREFILL_SUM] = 1;
	b.v[PS_PREFILL_SUM] = 1.5;
	a.v[PS_PREFILL_COUNT] = 10;
	b.v[PS_PREFILL_COUNT] = 20;
	a.v[PS_DECODE_SUM] = b.v[PS_DECODE_SUM] = 4;
	a.v[PS_DECODE_COUNT] = b.v[PS_DECODE_COUNT] = 8;
	a.v[PS_GEN_TOKENS] = 1000;
	b.v[PS_GEN_TOKENS] = 100;
	ps_derive(&a, &b, d);
	ok(d[PSD_RUNNING] == 5, "gauges as last read");
	ok(d[PSD_PREFIX_HIT_RATE] == 0.75, "hit rate of the interval: %g",
	    d[PSD_PREFIX_HIT_RATE]);
	ok(fabs(d[PSD_PREFILL_MS] - 50) < 1e-9, "mean prefill of the "
	    "interval's requests: %g", d[PSD_PREFILL_MS]);
	ok(isnan(d[PSD_DECODE_MS]), "no request in the interval: NaN");
	ok(d[PSD_GEN_TOKENS_PER_S] == 50, "a counter that went down (restart) "
	    "counts from 0: %g", d[PSD_GEN_TOKENS_PER_S]);
	ok(isnan(d[PSD_WAITING]) && isnan(d[PSD_QUEUE_MS]), "absent: NaN");
	is_str(ps_derived_name(PSD_QUEUE_MS), "server_queue_time_ms", "name");
	is_str(ps_metric_name(PS_KV_USAGE), "vllm:kv_cache_usage_perc",
	    "metric name");
}

int
main(void)
{
	RUN(parse);
	RUN(derive);
	return tap_done();
}
