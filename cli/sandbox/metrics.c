/*
 * metrics.c: the sandbox's metrics registry and its /metrics endpoint.
 *
 * The registry holds the series the platform's telemetry produces
 * (metrics.h): Limitador's authorized_hits, authorized_calls and
 * limited_calls counters, and Istio's istio_request_duration_milliseconds
 * histogram with the subscription label of the latency-per-subscription
 * Telemetry.  The gateway feeds it through metrics_record(); GET /metrics
 * renders it in the Prometheus text format 0.0.4.
 *
 * Retention (what a Prometheus scraping the sandbox would keep): a timer
 * samples every series each scrape interval (MAASCTL_SANDBOX_SCRAPE_INTERVAL
 * seconds, default 15) and keeps a point when the value changed, stamped
 * with the time of the last change (so a query for any time after a burst
 * of requests sees all of it); promql.c samples once more before each
 * query, so answers include the latest requests.  A series is born at value 0 (counters start at zero), which
 * makes increase() over a window covering a series' whole life exact.
 * Samples are kept in memory (at most MAX_POINTS per series) and in the
 * state dir's SQLite file (tables metric_series and metric_points, the
 * last RETENTION_DAYS, as Prometheus retains them), so usage history and
 * the counters survive a restart of the sandbox.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "json.h"
#include "metrics.h"

#define MAX_POINTS		100000	/* per series; older half dropped */
#define RETENTION_DAYS		15	/* Prometheus' default retention */
#define DEFAULT_SCRAPE		15.0	/* seconds */
#define LIMITADOR_NS		"openshift-ingress/maas-default-gateway"
#define TENANT_NS		"models-as-a-service"
#define TENANT_NAME		"default-tenant"
#define MON_NS			"openshift-monitoring"

/* Istio's default buckets for request durations, in milliseconds. */
static const double	 buckets[] = { 0.5, 1, 5, 10, 25, 50, 100, 250, 500,
	1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
	3600000 };
#define NBUCKETS	(sizeof buckets / sizeof buckets[0])

static struct mseries	**series;
static size_t		  nseries;
static struct event	 *scrape_ev;
static const struct sbx_config *mcfg;
static sqlite3			*db;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS metric_series ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " labels TEXT NOT NULL,"			/* JSON object */
    " born REAL NOT NULL, UNIQUE (name, labels));"
    "CREATE TABLE IF NOT EXISTS metric_points ("
    " series INTEGER NOT NULL, t REAL NOT NULL, v REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS idx_metric_points_series"
    " ON metric_points (series, t);";

/* The tenant's telemetry settings (MaasTenantConfig default-tenant). */
static struct {
	int	loaded;		/* read from the store */
	int	enabled;	/* spec.telemetry.enabled (true) */
	int	user;		/* ...metrics.captureUser (false) */
	int	model;		/* ...metrics.captureModelUsage (true) */
} tel = { 0, 1, 0, 1 };

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mlabel *)a)->name,
	    ((const struct mlabel *)b)->name);
}

/* Find or create the series name{labels} (labels: NULL-name-terminated
 * pairs, any order; empty values are left out, as Prometheus does). */
static struct mseries *
series_get(const char *name, const struct mlabel *in, double now)
{
	struct mlabel	 ls[8];
	struct mseries	*s;
	size_t		 n = 0, i, j;

	for (i = 0; in[i].name != NULL && n < 8; i++)
		if (in[i].value != NULL && in[i].value[0] != '\0')
			ls[n++] = in[i];
	qsort(ls, n, sizeof ls[0], label_cmp);
	for (i = 0; i < nseries; i++) {
		s = series[i];
		if (s->nlabels != n || strcmp(s->name, name) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(s->labels[j].name, ls[j].name) != 0 ||
			    strcmp(s->labels[j].value, ls[j].value) != 0)
				break;
		if (j == n)
			return s;
	}
	s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->labels = xcalloc(n ? n : 1, sizeof *s->labels);
	for (j = 0; j < n; j++) {
		s->labels[j].name = xstrdup(ls[j].name);
		s->labels[j].value = xstrdup(ls[j].value);
	}
	s->nlabels = n;
	s->born = now;
	series = xrealloc(series, (nseries + 1) * sizeof *series);
	series[nseries++] = s;
	return s;
}

static void
series_free(struct mseries *s)
{
	size_t	i;

	for (i = 0; i < s->nlabels; i++) {
		free((char *)s->labels[i].name);
		free((char *)s->labels[i].value);
	}
	free(s->labels);
	free(s->name);
	free(s->pts);
	free(s);
}

/* Read the tenant's telemetry settings from its MaasTenantConfig. */
static void
tenant_read(const cJSON *o)
{
	tel.enabled = json_bool(o, "spec.telemetry.enabled", 1);
	tel.user = json_bool(o, "spec.telemetry.metrics.captureUser", 0);
	tel.model = json_bool(o, "spec.telemetry.metrics.captureModelUsage",
	    1);
}

static void
tenant_load(void)
{
	struct sbx_store	*st;
	char			*js;
	cJSON			*o;

	if (tel.loaded)
		return;
	tel.loaded = 1;
	if ((st = api_store()) == NULL)
		return;
	if ((js = store_get(st, "maas.opendatahub.io", "maastenantconfigs",
	    TENANT_NS, TENANT_NAME)) == NULL)
		return;
	if ((o = cJSON_Parse(js)) != NULL)
		tenant_read(o);
	cJSON_Delete(o);
	free(js);
}

static void
on_change(void *arg, const char *type, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	const char	*name;

	(void)arg;
	if (strcmp(grp, "maas.opendatahub.io") != 0 ||
	    strcmp(res, "maastenantconfigs") != 0 ||
	    strcmp(ns, TENANT_NS) != 0)
		return;
	name = json_str(obj, "metadata.name");
	if (name == NULL || strcmp(name, TENANT_NAME) != 0)
		return;
	tel.loaded = 1;
	if (strcmp(type, "DELETED") == 0) {
		tel.enabled = 1;
		tel.user = 0;
		tel.model = 1;
	} else
		tenant_read(obj);
}

void
metrics_record(const char *user, const char *subscription, const char *model,
    long tokens, int limited, double latency_ms)
{
	struct mlabel	 ls[6];
	struct mseries	*s;
	double		 now = now_s();
	char		 le[32];
	size_t		 i;
	const char	*code = limited ? "429" : "200";

	tenant_load();
	if (!tel.enabled)
		user = subscription = model = NULL;
	if (!tel.user)
		user = NULL;
	if (!tel.model)
		model = NULL;
	if (tokens < 0)
		tokens = 0;
	if (!(latency_ms >= 0))		/* negative or NaN */
		latency_ms = 0;

	/* Limitador: one call counted as authorized or limited. */
	ls[0] = (struct mlabel){ "limitador_namespace", LIMITADOR_NS };
	ls[1] = (struct mlabel){ "user", user };
	ls[2] = (struct mlabel){ "subscription", subscription };
	ls[3] = (struct mlabel){ NULL, NULL };
	s = series_get(limited ? "limited_calls" : "authorized_calls", ls,
	    now);
	s->cur += 1;
	s->changed = now;
	if (!limited) {
		ls[3] = (struct mlabel){ "model", model };
		ls[4] = (struct mlabel){ NULL, NULL };
		s = series_get("authorized_hits", ls, now);
		s->cur += (double)tokens;
		if (tokens > 0)
			s->changed = now;
	}

	/* Istio: the request's duration at the gateway. */
	ls[0] = (struct mlabel){ "response_code", code };
	ls[1] = (struct mlabel){ "subscription", subscription };
	ls[2] = (struct mlabel){ "le", le };
	ls[3] = (struct mlabel){ NULL, NULL };
	for (i = 0; i <= NBUCKETS; i++) {
		if (i == NBUCKETS)
			snprintf(le, sizeof le, "+Inf");
		else
			snprintf(le, sizeof le, "%g", buckets[i]);
		s = series_get("istio_request_duration_milliseconds_bucket",
		    ls, now);
		if (i == NBUCKETS || latency_ms <= buckets[i]) {
			s->cur += 1;
			s->changed = now;
		}
	}
	ls[2] = (struct mlabel){ NULL, NULL };
	s = series_get("istio_request_duration_milliseconds_sum", ls, now);
	s->cur += latency_ms;
	s->changed = now;
	s = series_get("istio_request_duration_milliseconds_count", ls, now);
	s->cur += 1;
	s->changed = now;
}

static void
db_log(const char *what)
{
	srv_log("msg=\"metrics: cannot %s\" error=\"%s\"", what,
	    db ? sqlite3_errmsg(db) : "no database");
}

/* Give s its metric_series row. */
static int
db_series(struct mseries *s)
{
	sqlite3_stmt	*st = NULL;
	cJSON		*l = cJSON_CreateObject();
	char		*js;
	size_t		 i;
	int		 rc = -1;

	for (i = 0; i < s->nlabels; i++)
		cJSON_AddStringToObject(l, s->labels[i].name,
		    s->labels[i].value);
	js = cJSON_PrintUnformatted(l);
	if (sqlite3_prepare_v2(db, "INSERT INTO metric_series (name, labels, "
	    "born) VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, js, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, s->born);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	s->id = sqlite3_last_insert_rowid(db);
	rc = 0;
out:
	sqlite3_finalize(st);
	cJSON_Delete(l);
	free(js);
	return rc;
}

static void
point_add(struct mseries *s, double t, double v)
{
	size_t	half;

	if (s->npts == MAX_POINTS) {
		half = MAX_POINTS / 2;
		memmove(s->pts, s->pts + half,
		    (s->npts - half) * sizeof *s->pts);
		s->npts -= half;
	}
	if (s->npts == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->pts = xrealloc(s->pts, s->cap * sizeof *s->pts);
	}
	s->pts[s->npts].t = t;
	s->pts[s->npts].v = v;
	s->npts++;
}

/* Load the retained series and samples of a previous run. */
static void
db_load(void)
{
	sqlite3_stmt	*st = NULL;
	struct mlabel	 ls[9];
	struct mseries	*s = NULL;
	cJSON		*l, *it;
	long long	 id, cur_id = -1;
	size_t		 n, i;

	if (sqlite3_prepare_v2(db, "SELECT id, name, labels, born FROM "
	    "metric_series ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		db_log("read metric_series");
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		l = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
		n = 0;
		cJSON_ArrayForEach(it, l)
			if (n < 8 && cJSON_IsString(it)) {
				ls[n].name = it->string;
				ls[n++].value = it->valuestring;
			}
		ls[n].name = NULL;
		ls[n].value = NULL;
		s = series_get((const char *)sqlite3_column_text(st, 1), ls,
		    sqlite3_column_double(st, 3));
		s->id = sqlite3_column_int64(st, 0);
		cJSON_Delete(l);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT series, t, v FROM metric_points "
	    "ORDER BY series, t", -1, &st, NULL) != SQLITE_OK) {
		db_log("read metric_points");
		return;
	}
	s = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (id != cur_id) {
			cur_id = id;
			s = NULL;
			for (i = 0; i < nseries; i++)
				if (series[i]->id == id)
					s = series[i];
		}
		if (s == NULL)
			continue;
		if (s->npts > 0 && s->pts[s->npts - 1].t >=
		    sqlite3_column_double(st, 1))
			s->pts[s->npts - 1].v = sqlite3_column_double(st, 2);
		else
			point_add(s, sqlite3_column_double(st, 1),
			    sqlite3_column_double(st, 2));
		s->cur = s->pts[s->npts - 1].v;
	}
	sqlite3_finalize(st);
}

static void
db_open(const struct sbx_config *c)
{
	char	*path, *msg = NULL, *del;

	path = sbx_path(c->state_dir, SBX_DB_FILE);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_log("open the state database");
		goto fail;
	}
	sqlite3_busy_timeout(db, 5000);
	del = sqlite3_mprintf("DELETE FROM metric_points WHERE t < %f;",
	    now_s() - RETENTION_DAYS * 86400.0);
	if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, del, NULL, NULL, &msg) != SQLITE_OK) {
		srv_log("msg=\"metrics: cannot create the metric tables\" "
		    "error=\"%s\"", msg ? msg : "unknown error");
		sqlite3_free(msg);
		sqlite3_free(del);
		goto fail;
	}
	sqlite3_free(del);
	free(path);
	db_load();
	return;
fail:
	free(path);
	sqlite3_close(db);
	db = NULL;
}

void
metrics_scrape(double now)
{
	struct mseries	*s;
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	double		 t;
	int		 txn = 0;

	if (db != NULL && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) ==
	    SQLITE_OK) {
		txn = 1;
		if (sqlite3_prepare_v2(db, "INSERT INTO metric_points (series, "
		    "t, v) VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
			st = NULL;
	}
	for (i = 0; i < nseries; i++) {
		s = series[i];
		if (s->npts > 0 && s->pts[s->npts - 1].v == s->cur)
			continue;
		/* Stamped with the last change, never after the scrape. */
		t = s->changed > 0 && s->changed < now ? s->changed : now;
		if (s->npts > 0 && s->pts[s->npts - 1].t >= t) {
			/* Same instant: the latest value wins. */
			s->pts[s->npts - 1].v = s->cur;
			t = s->pts[s->npts - 1].t;
		} else
			point_add(s, t, s->cur);
		if (st == NULL || (s->id == 0 && db_series(s) != 0))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_double(st, 2, t);
		sqlite3_bind_double(st, 3, s->cur);
		if (sqlite3_step(st) != SQLITE_DONE)
			db_log("write a sample");
	}
	sqlite3_finalize(st);
	if (txn && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_log("commit samples");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
}

struct mseries *const *
metrics_series(size_t *n)
{
	*n = nseries;
	return series;
}

double
metrics_value_at(const struct mseries *s, double t)
{
	size_t	lo = 0, hi = s->npts, mid;

	if (t < s->born || s->npts == 0 || t < s->pts[0].t)
		return 0;
	/* The last point at or before t. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (s->pts[mid].t <= t)
			lo = mid;
		else
			hi = mid;
	}
	return s->pts[lo].v;
}

int
metrics_user_workload(void)
{
	struct sbx_store	*st = api_store();
	char			*js;
	cJSON			*o;
	const char		*cfg, *p;
	int			 on = 1;

	if (st == NULL)
		return 1;
	if ((js = store_get(st, "", "configmaps", MON_NS,
	    "cluster-monitoring-config")) == NULL)
		return 0;	/* no config: user workloads are not scraped */
	o = cJSON_Parse(js);
	cfg = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "config.yaml"));
	p = cfg ? strstr(cfg, "enableUserWorkload:") : NULL;
	if (p == NULL)
		on = 0;
	else {
		p += strlen("enableUserWorkload:");
		p += strspn(p, " \t");
		on = strncmp(p, "true", 4) == 0;
	}
	cJSON_Delete(o);
	free(js);
	return on;
}

void
metrics_telemetry_set(int enabled, int capture_user, int capture_model)
{
	tel.loaded = 1;
	tel.enabled = enabled;
	tel.user = capture_user;
	tel.model = capture_model;
}

/* Append a label value, escaped as the text format wants. */
static void
add_escaped(struct strbuf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			sb_adds(b, "\\\\");
		else if (*v == '"')
			sb_adds(b, "\\\"");
		else if (*v == '\n')
			sb_adds(b, "\\n");
		else
			sb_addc(b, *v);
	}
}

static void
add_value(struct strbuf *b, double v)
{
	if (isinf(v))
		sb_adds(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(b, "%.0f", v);
	else
		sb_addf(b, "%.17g", v);
}

static int
series_cmp(const void *a, const void *b)
{
	const struct mseries	*x = *(struct mseries *const *)a;
	const struct mseries	*y = *(struct mseries *const *)b;
	size_t			 i;
	int			 c;
	double			 lx, ly;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	for (i = 0; i < x->nlabels && i < y->nlabels; i++) {
		if ((c = strcmp(x->labels[i].name, y->labels[i].name)) != 0)
			return c;
		if (strcmp(x->labels[i].name, "le") == 0) {
			lx = strtod(x->labels[i].value, NULL);
			ly = strtod(y->labels[i].value, NULL);
			if (lx != ly)
				return lx < ly ? -1 : 1;
			continue;
		}
		if ((c = strcmp(x->labels[i].value, y->labels[i].value)) != 0)
			return c;
	}
	return (x->nlabels > y->nlabels) - (x->nlabels < y->nlabels);
}

static const struct family {
	const char	*name;		/* family name */
	const char	*type;
	const char	*help;
	const char	*prefix;	/* series names starting with it */
} families[] = {
	{ "authorized_calls", "counter", "Authorized calls", NULL },
	{ "authorized_hits", "counter", "Authorized hits", NULL },
	{ "istio_request_duration_milliseconds", "histogram",
	  "Request duration at the gateway in milliseconds",
	  "istio_request_duration_milliseconds_" },
	{ "limited_calls", "counter", "Limited calls", NULL },
};

/* Render the registry in the Prometheus text format; caller frees. */
char *
metrics_render(size_t *len)
{
	struct strbuf	 b = STRBUF_INIT;
	struct mseries	**v;
	struct mseries	*s;
	size_t		 f, i, j, k;
	int		 match;

	sb_init(&b);
	v = xcalloc(nseries ? nseries : 1, sizeof *v);
	for (f = 0; f < sizeof families / sizeof families[0]; f++) {
		k = 0;
		for (i = 0; i < nseries; i++) {
			s = series[i];
			match = families[f].prefix != NULL ?
			    strncmp(s->name, families[f].prefix,
			    strlen(families[f].prefix)) == 0 :
			    strcmp(s->name, families[f].name) == 0;
			if (match)
				v[k++] = s;
		}
		sb_addf(&b, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
		    families[f].help, families[f].name, families[f].type);
		qsort(v, k, sizeof *v, series_cmp);
		for (i = 0; i < k; i++) {
			s = v[i];
			sb_adds(&b, s->name);
			if (s->nlabels > 0) {
				sb_addc(&b, '{');
				for (j = 0; j < s->nlabels; j++) {
					sb_addf(&b, "%s%s=\"", j ? "," : "",
					    s->labels[j].name);
					add_escaped(&b, s->labels[j].value);
					sb_addc(&b, '"');
				}
				sb_addc(&b, '}');
			}
			sb_addc(&b, ' ');
			add_value(&b, s->cur);
			sb_addc(&b, '\n');
		}
	}
	free(v);
	*len = b.len;
	return sb_detach(&b);
}

void
metrics_handle(struct sbx_req *q)
{
	char	*body;
	size_t	 len;

	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0) {
		srv_header(q, "Allow", "GET, HEAD");
		srv_reply(q, 405, "text/plain", "Method Not Allowed\n", 19);
		return;
	}
	body = metrics_render(&len);
	srv_reply(q, 200, "text/plain; version=0.0.4; charset=utf-8", body,
	    len);
	free(body);
}

/*
 * The thanos-querier Route (openshift-monitoring) through which clients
 * find the cluster's Prometheus: spec.host is the gateway listener (which
 * serves the query API), spec.tls says https.  Written once the listener's
 * port is known (sandbox.json), again when it changed since the last run.
 */
static void
route_publish(evutil_socket_t fd, short what, void *arg)
{
	struct sbx_store	*st = api_store();
	cJSON			*info = NULL, *o = NULL, *old = NULL, *md, *sp;
	char			*path, *js, *host = NULL, *ts, *oldjs = NULL;
	const char		*scheme;
	long			 port;
	struct err		 e = ERR_INIT;
	time_t			 now = time(NULL);
	struct tm		 tm;
	char			 buf[32];
	unsigned char		 r[16];
	FILE			*rf;

	(void)fd;
	(void)what;
	(void)arg;
	if (st == NULL || mcfg == NULL)
		return;
	path = sbx_path(mcfg->state_dir, SBX_INFO_FILE);
	js = sbx_read_file(path, NULL, NULL);
	free(path);
	if (js == NULL || (info = cJSON_Parse(js)) == NULL)
		goto out;
	port = (long)json_num(info, "gateway_port", 0);
	scheme = json_str(info, "scheme");
	if (port <= 0 || scheme == NULL)
		goto out;
	host = xasprintf("127.0.0.1:%ld", port);
	oldjs = store_get(st, "route.openshift.io", "routes", MON_NS,
	    "thanos-querier");
	if (oldjs != NULL && (old = cJSON_Parse(oldjs)) != NULL &&
	    json_str(old, "spec.host") != NULL &&
	    strcmp(json_str(old, "spec.host"), host) == 0 &&
	    (json_path(old, "spec.tls") != NULL) ==
	    (strcmp(scheme, "https") == 0))
		goto out;
	gmtime_r(&now, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "route.openshift.io/v1");
	cJSON_AddStringToObject(o, "kind", "Route");
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", "thanos-querier");
	cJSON_AddStringToObject(md, "namespace", MON_NS);
	if (old != NULL && json_str(old, "metadata.uid") != NULL) {
		cJSON_AddStringToObject(md, "uid", json_str(old,
		    "metadata.uid"));
		cJSON_AddStringToObject(md, "creationTimestamp",
		    json_str(old, "metadata.creationTimestamp") ?
		    json_str(old, "metadata.creationTimestamp") : buf);
	} else {
		memset(r, 0, sizeof r);
		if ((rf = fopen("/dev/urandom", "r")) != NULL) {
			if (fread(r, 1, sizeof r, rf) != sizeof r)
				memset(r, 0x5a, sizeof r);
			fclose(rf);
		}
		r[6] = (r[6] & 0x0f) | 0x40;
		r[8] = (r[8] & 0x3f) | 0x80;
		ts = xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
		    r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
		    r[14], r[15]);
		cJSON_AddStringToObject(md, "uid", ts);
		free(ts);
		cJSON_AddStringToObject(md, "creationTimestamp", buf);
	}
	md = cJSON_AddObjectToObject(md, "labels");
	cJSON_AddStringToObject(md, "app.kubernetes.io/component",
	    "query-layer");
	cJSON_AddStringToObject(md, "app.kubernetes.io/name", "thanos-query");
	cJSON_AddStringToObject(md, "app.kubernetes.io/part-of",
	    "openshift-monitoring");
	sp = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(sp, "host", host);
	cJSON_AddStringToObject(sp, "path", "/api");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(sp, "port"),
	    "targetPort", "web");
	if (strcmp(scheme, "https") == 0) {
		md = cJSON_AddObjectToObject(sp, "tls");
		cJSON_AddStringToObject(md, "termination", "reencrypt");
		cJSON_AddStringToObject(md, "insecureEdgeTerminationPolicy",
		    "Redirect");
	}
	md = cJSON_AddObjectToObject(sp, "to");
	cJSON_AddStringToObject(md, "kind", "Service");
	cJSON_AddStringToObject(md, "name", "thanos-querier");
	cJSON_AddNumberToObject(md, "weight", 100);
	cJSON_AddStringToObject(sp, "wildcardPolicy", "None");
	if (store_begin(st, &e) == -1)
		goto out;
	if (store_put(st, "route.openshift.io", "routes", MON_NS,
	    "thanos-querier", o, old ? "MODIFIED" : "ADDED", &e) == -1) {
		store_rollback(st);
		goto out;
	}
	if (store_commit(st, &e) == -1)
		goto out;
	srv_log("msg=\"thanos-querier route\" host=%s", host);
out:
	if (e.msg != NULL)
		srv_log("msg=\"cannot write the thanos-querier route\" "
		    "error=\"%s\"", e.msg);
	err_clear(&e);
	cJSON_Delete(info);
	cJSON_Delete(old);
	cJSON_Delete(o);
	free(js);
	free(oldjs);
	free(host);
}

static void
on_scrape(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	metrics_scrape(now_s());
}

int
metrics_init(const struct sbx_config *c, struct err *e)
{
	const char	*iv = getenv("MAASCTL_SANDBOX_SCRAPE_INTERVAL");
	double		 secs = DEFAULT_SCRAPE;
	struct timeval	 tv;
	char		*end;

	mcfg = c;
	if (iv != NULL && *iv != '\0') {
		secs = strtod(iv, &end);
		if (*end != '\0' || !(secs >= 0.1 && secs <= 3600))
			return err_set(e, EXIT_USAGE, "sandbox: "
			    "MAASCTL_SANDBOX_SCRAPE_INTERVAL=%s: want seconds "
			    "between 0.1 and 3600", iv);
	}
	tel.loaded = 0;
	api_on_change(on_change, NULL);
	if (c != NULL && c->state_dir != NULL)
		db_open(c);
	if (srv_base() != NULL) {
		scrape_ev = event_new(srv_base(), -1, EV_PERSIST, on_scrape,
		    NULL);
		tv.tv_sec = (time_t)secs;
		tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
		event_add(scrape_ev, &tv);
		tv.tv_sec = 0;
		tv.tv_usec = 0;
		event_base_once(srv_base(), -1, EV_TIMEOUT, route_publish,
		    NULL, &tv);
	}
	return 0;
}

const struct sbx_config *
metrics_config(void)
{
	return mcfg;
}

void
metrics_shutdown(void)
{
	size_t	i;

	if (scrape_ev != NULL) {
		event_free(scrape_ev);
		scrape_ev = NULL;
	}
	if (db != NULL) {
		metrics_scrape(now_s());	/* keep the last values */
		sqlite3_close(db);
		db = NULL;
	}
	for (i = 0; i < nseries; i++)
		series_free(series[i]);
	free(series);
	series = NULL;
	nseries = 0;
	mcfg = NULL;
}
