/*
 * modelsim-serve.c: the sandbox's model simulator alone, for tests and
 * benchmarks.
 *
 *	modelsim-serve --port-file FILE [--config FILE] [--model NAME]...
 *	    [--port N] [--lifetime SECONDS] [--stats-file FILE]
 *	    [--busy-poll true|false|DURATION] [--arrival kernel|loop]
 *	    [--send batched|writev]
 *
 * Binds 127.0.0.1 (on a port the OS picks unless --port is given), writes
 * the port to the port file atomically, and serves the simulator's routes
 * (with GET /metrics) plus GET /health and POST /admin/config
 * ({"models": {NAME: {settings}}}: models changed at run time).  --config holds {"models": {"NAME": {settings}, ...}}
 * (settings as in maasctl-sandbox(1), MODEL SIMULATOR); --model adds a
 * model with the default settings.  Exits after --lifetime seconds
 * (default 120) or on SIGTERM/SIGINT, writing the simulator's counters
 * to --stats-file if given.  --busy-poll sets the busy-poll setting of
 * every model (precision mode: the loop polls instead of sleeping, always
 * or from DURATION before each deadline; see maasctl-sandbox(1)).
 * --arrival says where TTFT counts from: kernel (the default) the
 * kernel's receive time of the request's first byte, as a real server's
 * arrival time (modelsim_watch_arrivals()); loop the start of the event
 * loop's turn that read it (what the sandbox's gateway does).  --send
 * says how token chunks are written: batched (the default) queues the
 * tokens due in one wake-up and sends them in one io_uring call, or one
 * writev() each where the kernel has no io_uring for us; writev always
 * writes each token with its own writev() (the behaviour before); asking
 * for batched where io_uring is refused is an error.  The stats file
 * says which ran ("batched_sends 1|0") and how many chunks went in how
 * many batches (ring_sends, ring_flushes; ring_short: chunks the socket
 * did not take whole).  A bad
 * option or value is one line on stderr and exit status 2.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include "json.h"
#include "xalloc.h"

#include "sandbox/modelsim.h"

static struct modelsim *sim;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "modelsim-serve: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "modelsim-serve: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* A model's settings with the --busy-poll value, if given, over them. */
static void
add_model(const char *name, const cJSON *settings, const char *busy)
{
	struct err e = ERR_INIT;
	cJSON *c;

	c = settings != NULL ? cJSON_Duplicate(settings, 1) :
	    cJSON_CreateObject();
	if (busy != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(c, "busy-poll");
		cJSON_DeleteItemFromObjectCaseSensitive(c,
		    "maas.sandbox/busy-poll");
		cJSON_AddStringToObject(c, "busy-poll", busy);
	}
	if (modelsim_set_model(sim, name, c, &e) == -1)
		die("%s", e.msg);
	cJSON_Delete(c);
}

/*
 * POST /admin/config {"models": {NAME: {settings}}}: change models at run
 * time, like llm-d-inference-sim's /admin/config (requests in flight keep
 * their settings, new ones get the new).  204, or 400 with the reason.
 */
static void
admin_config(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req), *b;
	struct err e = ERR_INIT;
	size_t n = evbuffer_get_length(in);
	char *text = xmalloc(n + 1);
	const char *why = NULL;
	cJSON *cfg, *models, *m;

	evbuffer_remove(in, text, n);
	text[n] = '\0';
	if ((cfg = json_parse(text, n, &e)) == NULL)
		why = e.msg;
	else if (!cJSON_IsObject(models = cJSON_GetObjectItemCaseSensitive(cfg,
	    "models")))
		why = "want {\"models\": {NAME: settings}}";
	else
		cJSON_ArrayForEach(m, models)
			if (modelsim_set_model(sim, m->string, m, &e) == -1) {
				why = e.msg;
				break;
			}
	if (why != NULL) {
		b = evbuffer_new();
		evbuffer_add_printf(b, "%s\n", why);
		evhttp_send_reply(req, 400, "Bad Request", b);
		evbuffer_free(b);
	} else
		evhttp_send_reply(req, 204, "No Content", NULL);
	cJSON_Delete(cfg);
	err_clear(&e);
	free(text);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);

	(void)arg;
	if (strcmp(uri, "/health") == 0) {
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	if (strcmp(uri, "/admin/config") == 0 &&
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		admin_config(req);
		return;
	}
	modelsim_handle(sim, req, NULL);
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static char *
slurp(const char *path)
{
	struct strbuf sb;
	char buf[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot open %s", path);
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

static void
write_port(const char *path, int port)
{
	char *tmp;
	FILE *f;

	tmp = xasprintf("%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die("cannot write %s", tmp);
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die("cannot write %s", path);
	free(tmp);
}

int
main(int argc, char **argv)
{
	const char *port_file = NULL, *config = NULL, *stats_file = NULL;
	const char *busy = NULL, *arrival = "kernel", *send = NULL;
	struct err e = ERR_INIT;
	struct event_config *ec;
	struct event_base *base;
	struct event *ev_life, *ev_term, *ev_int;
	struct evhttp *http;
	struct sockaddr_in sin;
	struct modelsim_stats st;
	struct timeval life = { 120, 0 };
	socklen_t slen = sizeof(sin);
	cJSON *cfg, *models, *m;
	char *text;
	int i, fd, one = 1, port = 0;
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	ec = event_config_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	/* One epoll_ctl per fd per loop turn, not one per change: evhttp
	 * and the simulator switch read/write interest several times over
	 * one request (an epoll_ctl is a syscall, ~1.3 us on a PVM guest). */
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	/* Two priorities before any event exists: everything at 1, the
	 * simulator's peek at arriving requests (--arrival kernel) at 0. */
	if (base != NULL)
		event_base_priority_init(base, 2);
	if (base == NULL || (sim = modelsim_new(base, &e)) == NULL)
		die("%s", e.msg ? e.msg : "cannot create the event loop");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port-file") != 0 &&
		    strcmp(argv[i], "--config") != 0 &&
		    strcmp(argv[i], "--stats-file") != 0 &&
		    strcmp(argv[i], "--lifetime") != 0 &&
		    strcmp(argv[i], "--port") != 0 &&
		    strcmp(argv[i], "--model") != 0 &&
		    strcmp(argv[i], "--busy-poll") != 0 &&
		    strcmp(argv[i], "--arrival") != 0 &&
		    strcmp(argv[i], "--send") != 0)
			usage_error("unknown option %s", argv[i]);
		if (i + 1 >= argc)
			usage_error("%s needs a value", argv[i]);
		if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--config") == 0)
			config = argv[++i];
		else if (strcmp(argv[i], "--stats-file") == 0)
			stats_file = argv[++i];
		else if (strcmp(argv[i], "--lifetime") == 0)
			life.tv_sec = atoi(argv[++i]);
		else if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--arrival") == 0) {
			arrival = argv[++i];
			if (strcmp(arrival, "kernel") != 0 &&
			    strcmp(arrival, "loop") != 0)
				usage_error("--arrival: want kernel or loop, "
				    "not %s", arrival);
		} else if (strcmp(argv[i], "--send") == 0) {
			send = argv[++i];
			if (strcmp(send, "batched") != 0 &&
			    strcmp(send, "writev") != 0)
				usage_error("--send: want batched or writev, "
				    "not %s", send);
			if (modelsim_set_batched_sends(sim,
			    strcmp(send, "batched") == 0, &e) == -1)
				die("%s", e.msg);
		} else if (strcmp(argv[i], "--busy-poll") == 0) {
			busy = argv[++i];
			if (modelsim_check_setting("busy-poll", busy, &e) == -1)
				usage_error("--busy-poll: %s", e.msg);
		} else
			i++;
	}
	if (port_file == NULL)
		usage_error("%s", "--port-file is required");
	for (i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--model") == 0)
			add_model(argv[i + 1], NULL, busy);
	if (config != NULL) {
		text = slurp(config);
		if ((cfg = json_parse(text, strlen(text), &e)) == NULL)
			die("%s", e.msg);
		models = cJSON_GetObjectItemCaseSensitive(cfg, "models");
		if (!cJSON_IsObject(models))
			die("%s: want {\"models\": {NAME: settings}}", config);
		cJSON_ArrayForEach(m, models)
			add_model(m->string, m, busy);
		cJSON_Delete(cfg);
		free(text);
	}

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind 127.0.0.1: %s", strerror(errno));
	/* A deep backlog: thousands of clients connect at once. */
	if (listen(fd, 8192) == -1)
		die("listen: %s", strerror(errno));
	evutil_make_socket_nonblocking(fd);
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		die("getsockname: %s", strerror(errno));
	http = evhttp_new(base);
	evhttp_set_gencb(http, on_request, NULL);
	evhttp_set_timeout(http, 3600);
	if (evhttp_accept_socket(http, fd) == -1)
		die("%s", "cannot accept on the listening socket");
	if (strcmp(arrival, "kernel") == 0 &&
	    modelsim_watch_arrivals(sim, http, &e) == -1)
		die("%s", e.msg);
	write_port(port_file, ntohs(sin.sin_port));

	ev_life = evtimer_new(base, on_stop, base);
	evtimer_add(ev_life, &life);
	ev_term = evsignal_new(base, SIGTERM, on_stop, base);
	ev_int = evsignal_new(base, SIGINT, on_stop, base);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_base_dispatch(base);

	modelsim_get_stats(sim, &st);
	if (stats_file != NULL && (f = fopen(stats_file, "w")) != NULL) {
		fprintf(f, "requests %lu\ncompleted %lu\nfailed %lu\n"
		    "cancelled %lu\ntokens %lu\nrunning %lu\nwaiting %lu\n"
		    "late_p50_us %lu\nlate_p99_us %lu\nlate_max_us %lu\n"
		    "polls %lu\nstamped %lu\nintake_p50_us %lu\n"
		    "intake_p99_us %lu\nintake_max_us %lu\n"
		    "batched_sends %lu\nring_sends %lu\nring_flushes %lu\n"
		    "ring_short %lu\n",
		    st.requests, st.completed, st.failed, st.cancelled,
		    st.tokens, st.running, st.waiting, st.late_p50_us,
		    st.late_p99_us, st.late_max_us, st.polls, st.stamped,
		    st.intake_p50_us, st.intake_p99_us, st.intake_max_us,
		    st.batched_sends, st.ring_sends, st.ring_flushes,
		    st.ring_short);
		fclose(f);
	}
	modelsim_free(sim);
	evhttp_free(http);
	event_free(ev_life);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	return 0;
}
