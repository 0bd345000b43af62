/*
 * metrics.h: the sandbox's telemetry, as the platform exposes it
 * (reference/MAAS-RESOURCES.md §10.5, §12): the Limitador counters
 * authorized_hits (tokens; labels user, subscription, model),
 * authorized_calls and limited_calls (labels user, subscription), and
 * Istio's gateway latency histogram istio_request_duration_milliseconds
 * (label subscription), served in the Prometheus text format at /metrics
 * on the gateway listener (metrics.c), plus a small Prometheus HTTP API
 * (/api/v1/query, /api/v1/query_range) over the samples the sandbox
 * retains from scraping its own registry (promql.c).
 *
 * The gateway calls metrics_record() once per model request that reached
 * the rate limiter, after the response (the tokens are the response's
 * usage.total_tokens).  Which labels are kept follows the MaasTenantConfig
 * default-tenant (models-as-a-service): spec.telemetry.enabled false drops
 * the user, subscription and model labels (no TelemetryPolicy, no
 * latency-per-subscription Telemetry); captureUser (default false) keeps
 * the user label; captureModelUsage (default true) the model label.
 */
#ifndef MAAS_SBX_METRICS_H
#define MAAS_SBX_METRICS_H

#include <time.h>

#include <cjson/cJSON.h>

#include "apiserver.h"

/* The daemon's configuration (state dir, admin token), after init. */
const struct sbx_config *metrics_config(void);
/* Set up the registry and the scrape timer; -1 on error. */
int	 metrics_init(const struct sbx_config *, struct err *);
void	 metrics_shutdown(void);

/*
 * Record one model request at the gateway: user and subscription as
 * authenticated and selected (NULL or "" when unknown), model as the
 * request named it ("ns/name" or the model id), tokens the response's
 * usage.total_tokens (0 when none), limited 1 for a 429 from the token
 * rate limit (then tokens are not counted), latency_ms the gateway's
 * request duration.
 */
void	 metrics_record(const char *user, const char *subscription,
	    const char *model, long tokens, int limited, double latency_ms);

/* Answer GET /metrics (Prometheus text format 0.0.4). */
void	 metrics_handle(struct sbx_req *);

/* Answer /api/v1/query and /api/v1/query_range (and the few other
 * /api/v1 paths clients probe) for an authenticated caller. */
void	 promql_handle(struct sbx_req *, const char *path);

/* promql.c: evaluate an instant query at t, or a range query; the
 * Prometheus JSON answer (caller deletes) and its HTTP status in *status
 * (200, 400 bad_data, 422 execution). */
cJSON	*promql_query(const char *query, double t, int *status);
cJSON	*promql_query_range(const char *query, double start, double end,
	    double step, int *status);

/* ---- the retained samples (metrics.c), read by promql.c ---- */

/* One label pair. */
struct mlabel {
	const char	*name;
	const char	*value;
};

/* One retained sample of a series. */
struct mpoint {
	double		 t;		/* unix seconds */
	double		 v;
};

/* One series: metric name, sorted labels, and its retained samples. */
struct mseries {
	char		*name;		/* "authorized_hits", "..._bucket" */
	struct mlabel	*labels;	/* sorted by name; strings owned */
	size_t		 nlabels;
	struct mpoint	*pts;		/* oldest first */
	size_t		 npts;
	size_t		 cap;
	double		 cur;		/* the live value */
	double		 born;		/* when it first appeared (value 0) */
	long long	 id;		/* row in metric_series, 0: not yet */
	double		 changed;	/* when cur last changed */
};

/* Take a sample of every series now (promql.c calls it before each
 * query so answers include the latest requests). */
void	 metrics_scrape(double now);
/* The series the sandbox retains (valid until the next record/scrape). */
struct mseries *const *metrics_series(size_t *n);
/* The value of a counter series at time t (0 before it was born). */
double	 metrics_value_at(const struct mseries *, double t);
/* Does the sandbox's Prometheus scrape user workloads (Limitador, the
 * gateway)?  As OpenShift: enableUserWorkload: true in the ConfigMap
 * cluster-monitoring-config (openshift-monitoring), key config.yaml;
 * when off, queries see none of the telemetry series. */
int	 metrics_user_workload(void);
/* The registry in the Prometheus text format (caller frees). */
char	*metrics_render(size_t *len);
/* Override the tenant's telemetry settings (tests; the MaasTenantConfig
 * takes over again at its next change). */
void	 metrics_telemetry_set(int enabled, int capture_user,
	    int capture_model);

#endif
