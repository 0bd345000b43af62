/*
 * bench_calibrate.c: `maasctl bench calibrate`: this machine's own ceiling
 * as a benchmark client.  Against the sandbox's model simulator run in a
 * thread of this process on loopback (or any --endpoint), with no model
 * latency at all, it measures the request rate of 1-token non-streamed
 * answers and the SSE chunk rate of long streams at a fixed concurrency,
 * and saves the result where every later `maasctl bench` report picks it up
 * (the "calibration" member), so a report says how much headroom the client
 * had.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "bench.h"
#include "benchmetrics.h"
#include "json.h"
#include "loadgen.h"
#include "target.h"
#include "workload.h"

#include "sandbox/modelsim.h"

static struct {
	double		 duration;
	long		 concurrency;
	const char	*endpoint;
	const char	*model;
	const char	*save;
	const char	*format;
} C = { .duration = 3, .concurrency = 64 };

static const struct opt calibrate_opts[] = {
	{ "duration", 'd', OPT_DURATION, &C.duration, "DURATION",
	  "length of each of the two measurements (default 3s)", 0, NULL,
	  NULL, 0, 0 },
	{ "concurrency", 'c', OPT_INT, &C.concurrency, "N",
	  "requests in flight (default 64)", 0, NULL, NULL, 1, 100000 },
	{ "endpoint", 0, OPT_STR, &C.endpoint, "URL",
	  "measure against this OpenAI-compatible base URL (a no-latency "
	  "model) instead of an in-process simulator", 0, NULL, NULL, 0, 0 },
	{ "model", 'm', OPT_STR, &C.model, "MODEL",
	  "model at --endpoint", 0, NULL, NULL, 0, 0 },
	{ "save", 0, OPT_STR, &C.save, "FILE",
	  "write the result here (default: the user cache, read by every "
	  "bench run)", 0, NULL, "file", 0, 0 },
	{ "format", 0, OPT_STR, &C.format, "FMT",
	  "text (default) or json", 0, NULL, "text|json", 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* The in-process simulator. */
struct sim {
	struct event_base	*base;
	struct evhttp		*http;
	struct modelsim		*ms;
	struct event		*poll;
	pthread_t		 th;
	atomic_int		 stop;
	int			 fd;
};

static void
sim_request(struct evhttp_request *req, void *arg)
{
	struct sim	*s = arg;

	modelsim_handle(s->ms, req, NULL);
}

static void
sim_poll(evutil_socket_t fd, short what, void *arg)
{
	struct sim	*s = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&s->stop))
		event_base_loopbreak(s->base);
}

static void *
sim_main(void *arg)
{
	struct sim	*s = arg;

	event_base_dispatch(s->base);
	return NULL;
}

static int
sim_start(struct sim *s, int *port, struct err *e)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	struct event_config	*ec;
	struct timeval		 tv = { 0, 50000 };
	cJSON			*cfg;
	int			 one = 1;

	memset(s, 0, sizeof *s);
	if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return err_set(e, EXIT_ERR, "bench calibrate: socket: %s",
		    strerror(errno));
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(s->fd, 4096) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&sin, &slen) == -1) {
		err_set(e, EXIT_ERR, "bench calibrate: cannot listen on "
		    "127.0.0.1: %s", strerror(errno));
		close(s->fd);
		return -1;
	}
	evutil_make_socket_nonblocking(s->fd);
	*port = ntohs(sin.sin_port);
	ec = event_config_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	s->base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (s->base == NULL || (s->ms = modelsim_new(s->base, e)) == NULL) {
		if (s->base != NULL)
			event_base_free(s->base);
		close(s->fd);
		return err_set(e, EXIT_ERR, "bench calibrate: cannot start "
		    "the simulator");
	}
	cfg = cJSON_Parse("{\"ttft\":\"0s\",\"itl\":\"0s\",\"max-num-seqs\":"
	    "100000,\"max-waiting\":100000}");
	modelsim_set_model(s->ms, "noop", cfg, NULL);
	cJSON_Delete(cfg);
	s->http = evhttp_new(s->base);
	evhttp_set_gencb(s->http, sim_request, s);
	evhttp_accept_socket(s->http, s->fd);
	s->poll = event_new(s->base, -1, EV_PERSIST, sim_poll, s);
	event_add(s->poll, &tv);
	if (pthread_create(&s->th, NULL, sim_main, s) != 0) {
		err_set(e, EXIT_ERR, "bench calibrate: cannot start a thread");
		return -1;
	}
	return 0;
}

static void
sim_stop(struct sim *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	modelsim_free(s->ms);
	evhttp_free(s->http);
	event_free(s->poll);
	event_base_free(s->base);
}

static void
on_done(void *arg, const struct lg_result *r)
{
	bm_add(arg, r);
}

/* One measurement: closed loop for C.duration; the report (caller frees). */
static cJSON *
measure(const char *base, const char *model, int stream, long tokens,
    struct err *e)
{
	struct workload		 w;
	struct lg_config	 c;
	struct lg_summary	 sum;
	struct bm		 b;
	struct bm_run		 info;
	struct bm_limits	 lim = { 0.98, 1, 1, 1, 0 };
	const char		*names[] = { "default" };
	double			 pcs[] = { 50, 99 };
	cJSON			*r = NULL;
	char			*url;

	memset(&w, 0, sizeof w);
	memset(&c, 0, sizeof c);
	memset(&info, 0, sizeof info);
	memset(&sum, 0, sizeof sum);
	w.model = model;
	w.chat = 1;
	w.stream = stream;
	w.ignore_eos = 1;
	w.shared_prompt = 1;
	w.in.kind = w.out.kind = WL_FIXED;
	w.in.a = 8;
	w.out.a = (double)tokens;
	url = xasprintf("%s/chat/completions", base);
	bm_init(&b, names, 1);
	c.url = url;
	c.stream = stream;
	c.concurrency = C.concurrency;
	c.duration = C.duration;
	c.seed = 1;
	c.body = wl_body;
	c.body_arg = &w;
	c.done = on_done;
	c.arg = &b;
	if (lg_run(&c, &sum, e) == 0) {
		info.mode = "closed";
		info.concurrency = C.concurrency;
		info.duration = C.duration;
		info.stream = stream;
		info.percentiles = pcs;
		info.npercentiles = 2;
		r = bm_report(&b, &sum, &info, &lim);
		if (b.all.ok == 0) {
			err_set(e, EXIT_UNREACHABLE, "bench calibrate: every "
			    "request failed: %s", b.err_first[1] ? b.err_first[1] :
			    "see --endpoint");
			cJSON_Delete(r);
			r = NULL;
		}
	}
	bm_free(&b);
	wl_free(&w);
	free(url);
	lg_summary_free(&sum);
	return r;
}

/* Where calibrations are kept for later runs. */
char *
bench_calibration_path(void)
{
	const char	*x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (x != NULL && x[0] == '/')
		return xasprintf("%s/maasctl/bench-calibration.json", x);
	if (h != NULL && h[0] != '\0')
		return xasprintf("%s/.cache/maasctl/bench-calibration.json",
		    h);
	return NULL;
}

static int
calibrate_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct sim	 sim;
	struct target	 t;
	struct utsname	 un;
	cJSON		*req = NULL, *str = NULL, *out = NULL;
	char		*base = NULL, *path = NULL, *s, *dir, date[32];
	const char	*model = "noop";
	time_t		 now = time(NULL);
	int		 port = 0, rc = -1, have_sim = 0;

	(void)argc;
	(void)argv;
	if (C.format != NULL && strcmp(C.format, "text") != 0 &&
	    strcmp(C.format, "json") != 0)
		return err_set(e, EXIT_USAGE, "bench calibrate: unknown format "
		    "\"%s\" (want text or json)", C.format);
	if (C.duration <= 0)
		return err_set(e, EXIT_USAGE, "bench calibrate: --duration "
		    "must be positive");
	if (C.endpoint != NULL) {
		if (C.model == NULL)
			return err_set(e, EXIT_USAGE, "bench calibrate: "
			    "--endpoint needs -m MODEL (a no-latency model)");
		if (target_resolve(ctx, C.endpoint, &t, e) != 0)
			return -1;
		base = xstrdup(t.base);
		target_free(&t);
		model = C.model;
	} else {
		if (sim_start(&sim, &port, e) != 0)
			return -1;
		have_sim = 1;
		base = xasprintf("http://127.0.0.1:%d/v1", port);
	}
	if ((req = measure(base, model, 0, 1, e)) == NULL ||
	    (str = measure(base, model, 1, 64, e)) == NULL)
		goto out;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "schema", "maasctl.bench.calibration/v1");
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cJSON_AddStringToObject(out, "date", date);
	if (uname(&un) == 0) {
		s = xasprintf("%s %s %s", un.sysname, un.release, un.machine);
		cJSON_AddStringToObject(out, "host", s);
		free(s);
	}
	cJSON_AddNumberToObject(out, "cores", (double)sysconf(
	    _SC_NPROCESSORS_ONLN));
	cJSON_AddStringToObject(out, "target", have_sim ? "in-process model "
	    "simulator on loopback (shares this process)" : base);
	cJSON_AddNumberToObject(out, "concurrency", (double)C.concurrency);
	cJSON_AddNumberToObject(out, "duration_s", C.duration);
	cJSON_AddNumberToObject(out, "requests_per_s", json_num(req,
	    "throughput.requests", 0));
	cJSON_AddNumberToObject(out, "requests_client_cpu_share", json_num(req,
	    "client.cpu_share", 0));
	cJSON_AddNumberToObject(out, "stream_chunks_per_s", json_num(str,
	    "throughput.output_tokens", 0));
	cJSON_AddNumberToObject(out, "stream_client_cpu_share", json_num(str,
	    "client.cpu_share", 0));
	cJSON_AddNumberToObject(out, "stream_bytes_parsed_per_cpu_s",
	    json_num(str, "client.bytes_parsed_per_cpu_s", 0));
	cJSON_AddNumberToObject(out, "stream_loop_read_lag_p99_ms",
	    json_num(str, "client.loop_lag.read.p99_ms", 0));
	cJSON_AddStringToObject(out, "note", "1-token non-streamed answers "
	    "and 64-chunk streams, no model latency, closed loop; a run near "
	    "these rates measures the client as much as the server");
	path = C.save != NULL ? xstrdup(C.save) : bench_calibration_path();
	if (path != NULL) {
		/* The cache directories, made 0700 as needed. */
		for (dir = path + 1; C.save == NULL &&
		    (dir = strchr(dir, '/')) != NULL; dir++) {
			*dir = '\0';
			mkdir(path, 0700);
			*dir = '/';
		}
		s = json_print(out, 1);
		rc = bench_write_file(path, s, e);
		free(s);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (C.format != NULL && strcmp(C.format, "json") == 0) {
		s = json_print(out, 1);
		printf("%s\n", s);
		free(s);
	} else {
		printf("client ceiling on this machine (%s, %ld in flight, "
		    "%g s each):\n", have_sim ? "in-process simulator" : base,
		    C.concurrency, C.duration);
		printf("  1-token requests:   %.0f req/s (client CPU %.0f%%)\n",
		    json_num(out, "requests_per_s", 0),
		    json_num(out, "requests_client_cpu_share", 0) * 100);
		printf("  streamed chunks:    %.0f chunks/s (client CPU %.0f%%)\n",
		    json_num(out, "stream_chunks_per_s", 0),
		    json_num(out, "stream_client_cpu_share", 0) * 100);
		printf("  parsing:            %.1f MB per CPU second, loop read "
		    "lag p99 %.3f ms\n", json_num(out,
		    "stream_bytes_parsed_per_cpu_s", 0) / 1e6, json_num(out,
		    "stream_loop_read_lag_p99_ms", 0));
		if (path != NULL)
			printf("saved to %s; bench reports carry it\n", path);
	}
	rc = 0;
out:
	if (have_sim)
		sim_stop(&sim);
	cJSON_Delete(req);
	cJSON_Delete(str);
	cJSON_Delete(out);
	free(base);
	free(path);
	return rc;
}

const struct command cmd_bench_calibrate = {
	.name = "calibrate",
	.summary = "Measure this machine's ceiling as a benchmark client",
	.usage = "[-d DURATION] [-c N] [--endpoint URL -m MODEL] [--save FILE]",
	.opts = calibrate_opts,
	.run = calibrate_run,
};
