package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tessera-gis/tessera/mosaic"
)

// MetricsConfig configures Metrics. Every field is optional.
type MetricsConfig struct {
	// GDALCache returns the bytes GDAL's block cache holds and its limit
	// (see raster.BlockCacheUsed); nil leaves the GDAL gauges out.
	GDALCache func() (used, limit int64)
	// CHeap returns the bytes the C heap (GDAL, PROJ, SQLite) holds in
	// use and freed but kept by the allocator (see raster.CHeap); nil, or
	// ok false, leaves the gauges out.
	CHeap func() (inUse, free int64, ok bool)
}

// Metrics are the server's Prometheus metrics (docs/operations.md lists
// them). One Metrics serves one Server: pass it in Config.Metrics, and
// pass it to the job engine as its observer (it implements
// tasks.Observer), so that job metrics come from the engine that runs the
// jobs. The metrics the store knows (collections, items, queued jobs,
// database size) are read from it at each scrape.
type Metrics struct {
	reg *prometheus.Registry

	requestDuration *prometheus.HistogramVec
	esriErrors      *prometheus.CounterVec
	inFlight        prometheus.Gauge
	renders         prometheus.Gauge
	jobWait         *prometheus.HistogramVec
	jobDuration     *prometheus.HistogramVec
	jobsFinished    *prometheus.CounterVec
	tokenFailures   *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec

	// budget is the render budget of the Server the metrics serve.
	budget *RenderBudget
}

// NewMetrics returns the metrics, with Go runtime and process metrics
// (go_*, process_*) beside tessera's own.
func NewMetrics(cfg MetricsConfig) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tessera_http_request_duration_seconds",
		Help:    "HTTP requests by route template, method and HTTP status, with their duration in seconds.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})
	m.esriErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_http_esri_errors_total",
		Help: "Esri error envelopes sent, by route template and Esri error code (they travel with HTTP status 200).",
	}, []string{"route", "code"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tessera_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	m.renders = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tessera_renders_in_flight",
		Help: "exportImage and thumbnail requests being served.",
	})
	jobBuckets := []float64{.1, .5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}
	m.jobWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tessera_job_wait_seconds",
		Help:    "Time jobs waited in the queue before a worker of this process started them, by task.",
		Buckets: jobBuckets,
	}, []string{"task"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tessera_job_duration_seconds",
		Help:    "Run time of the jobs this process ran, by task and final state.",
		Buckets: jobBuckets,
	}, []string{"task", "state"})
	m.jobsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_jobs_finished_total",
		Help: "Jobs this process ran to an end, by task and final state.",
	}, []string{"task", "state"})
	m.tokenFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_token_failures_total",
		Help: "Rejected credentials, by reason: expired, invalid, user (changed or removed), ip, api_key, password.",
	}, []string{"reason"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_rate_limited_total",
		Help: "Requests refused by a rate or queue limit: login (generateToken per address), jobs (unfinished jobs per user).",
	}, []string{"limit"})
	for _, reason := range []string{"expired", "invalid", "user", "ip", "api_key", "password"} {
		m.tokenFailures.WithLabelValues(reason)
	}
	for _, limit := range []string{"login", "jobs"} {
		m.rateLimited.WithLabelValues(limit)
	}
	m.reg.MustRegister(m.requestDuration, m.esriErrors, m.inFlight, m.renders, m.jobWait, m.jobDuration,
		m.jobsFinished, m.tokenFailures, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.GDALCache != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tessera_gdal_block_cache_bytes",
			Help: "Bytes held by GDAL's raster block cache.",
		}, func() float64 { used, _ := cfg.GDALCache(); return float64(used) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "tessera_gdal_block_cache_limit_bytes",
				Help: "Size limit of GDAL's raster block cache (GDAL_CACHEMAX).",
			}, func() float64 { _, limit := cfg.GDALCache(); return float64(limit) }))
	}
	if cfg.CHeap != nil {
		if _, _, ok := cfg.CHeap(); ok {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "tessera_c_heap_inuse_bytes",
				Help: "Bytes of the C heap (GDAL, PROJ, SQLite) in use.",
			}, func() float64 { u, _, _ := cfg.CHeap(); return float64(u) }),
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "tessera_c_heap_free_bytes",
					Help: "Bytes of the C heap freed but kept by the allocator.",
				}, func() float64 { _, f, _ := cfg.CHeap(); return float64(f) }))
		}
	}
	m.reg.MustRegister(budgetCollector{m})
	return m
}

// Handler serves the metrics in the Prometheus text format, for a
// separate metrics listener (--metrics-addr). On the main listener the
// Server serves them at /metrics to admins.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry the metrics are registered in, so that
// other parts of the program can add theirs.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// JobStarted records how long a job waited in the queue.
func (m *Metrics) JobStarted(task string, waited time.Duration) {
	m.jobWait.WithLabelValues(task).Observe(max(waited, 0).Seconds())
}

// JobFinished records a job's end and run time.
func (m *Metrics) JobFinished(task string, state mosaic.JobState, ran time.Duration) {
	m.jobsFinished.WithLabelValues(task, string(state)).Inc()
	m.jobDuration.WithLabelValues(task, string(state)).Observe(ran.Seconds())
}

// JobRefused counts a submission refused by the per-user job limit.
func (m *Metrics) JobRefused(task string) { m.rateLimited.WithLabelValues("jobs").Inc() }

// tokenFailure and limited are the Auth's hooks.
func (m *Metrics) tokenFailure(reason string) { m.tokenFailures.WithLabelValues(reason).Inc() }
func (m *Metrics) limited(limit string)       { m.rateLimited.WithLabelValues(limit).Inc() }

// observe records a served request. route is the route template ("" when
// none matched), code the Esri error code of an error envelope (0 if none).
func (m *Metrics) observe(route, method string, status, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requestDuration.WithLabelValues(route, metricMethod(method), strconv.Itoa(status)).Observe(d.Seconds())
	if code != 0 {
		m.esriErrors.WithLabelValues(route, strconv.Itoa(code)).Inc()
	}
}

// metricMethod bounds the method label: clients may send any method.
func metricMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return method
	}
	return "other"
}

// budgetCollector exports the render budget (see RenderBudget) of the
// server the metrics serve, once it has one.
type budgetCollector struct{ m *Metrics }

var (
	budgetInUseDesc = prometheus.NewDesc("tessera_render_budget_bytes_in_use",
		"Estimated bytes of the render-memory budget that renders and pixel reads in flight hold.", nil, nil)
	budgetLimitDesc = prometheus.NewDesc("tessera_render_budget_bytes",
		"Size of the render-memory budget (--render-memory).", nil, nil)
	budgetWaitingDesc = prometheus.NewDesc("tessera_render_budget_waiting",
		"Renders waiting for room in the render-memory budget.", nil, nil)
	budgetRefusedDesc = prometheus.NewDesc("tessera_render_budget_refused_total",
		"Renders refused as busy (429) because the render-memory budget stayed full for --render-wait.", nil, nil)
)

func (c budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- budgetInUseDesc
	ch <- budgetLimitDesc
	ch <- budgetWaitingDesc
	ch <- budgetRefusedDesc
}

func (c budgetCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.m.budget
	if b == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(budgetInUseDesc, prometheus.GaugeValue, float64(b.InUse()))
	ch <- prometheus.MustNewConstMetric(budgetLimitDesc, prometheus.GaugeValue, float64(b.Limit()))
	ch <- prometheus.MustNewConstMetric(budgetWaitingDesc, prometheus.GaugeValue, float64(b.Waiting()))
	ch <- prometheus.MustNewConstMetric(budgetRefusedDesc, prometheus.CounterValue, float64(b.Refused()))
}

// storeCollector reads, at each scrape, what the store knows: collections
// and their items, unfinished jobs, the database's size.
type storeCollector struct {
	store   mosaic.Store
	jobs    mosaic.JobService // for the task names; may be nil
	timeout time.Duration
	onError func(error)
}

var (
	collectionsDesc = prometheus.NewDesc("tessera_collections", "Image collections.", nil, nil)
	itemsDesc       = prometheus.NewDesc("tessera_items", "Live items (rasters) of each collection.", []string{"collection"}, nil)
	jobsDesc        = prometheus.NewDesc("tessera_jobs",
		"Unfinished jobs in the store, by task and state (submitted, executing, cancelling), from every server on the store.",
		[]string{"task", "state"}, nil)
	queueDepthDesc = prometheus.NewDesc("tessera_job_queue_depth", "Jobs queued and not yet started.", nil, nil)
	queueAgeDesc   = prometheus.NewDesc("tessera_job_queue_oldest_seconds",
		"How long the oldest queued job has been waiting (0 when none is).", nil, nil)
	dbSizeDesc  = prometheus.NewDesc("tessera_database_size_bytes", "Size of the database (SQLite file, or pg_database_size).", nil, nil)
	walSizeDesc = prometheus.NewDesc("tessera_database_wal_bytes",
		"Size of the write-ahead log (SQLite -wal file; PostgreSQL's cluster WAL, with the pg_monitor role).", nil, nil)
	storeUpDesc = prometheus.NewDesc("tessera_store_up", "1 if the store answered the scrape's queries, else 0.", nil, nil)
)

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{collectionsDesc, itemsDesc, jobsDesc, queueDepthDesc, queueAgeDesc, dbSizeDesc, walSizeDesc, storeUpDesc} {
		ch <- d
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var cols []*mosaic.Collection
	var active []*mosaic.Job
	err := c.store.View(ctx, func(tx mosaic.ReadTx) (err error) {
		if cols, err = tx.Collections(); err != nil {
			return err
		}
		active, err = tx.ActiveJobs()
		return err
	})
	up := 1.0
	if err != nil {
		up = 0
		c.onError(err)
	} else {
		ch <- prometheus.MustNewConstMetric(collectionsDesc, prometheus.GaugeValue, float64(len(cols)))
		for _, col := range cols {
			ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(col.Summary.Count), col.Name)
		}
		type key struct{ task, state string }
		counts := map[key]int{}
		if c.jobs != nil {
			for _, t := range c.jobs.Tasks() {
				for _, s := range []mosaic.JobState{mosaic.JobSubmitted, mosaic.JobExecuting, mosaic.JobCancelling} {
					counts[key{t.Name, string(s)}] = 0
				}
			}
		}
		queued, oldest := 0, time.Time{}
		for _, j := range active {
			counts[key{j.Task, string(j.State)}]++
			if j.State == mosaic.JobNew || j.State == mosaic.JobSubmitted || j.State == mosaic.JobWaiting {
				queued++
				if oldest.IsZero() || j.SubmittedAt.Before(oldest) {
					oldest = j.SubmittedAt
				}
			}
		}
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), k.task, k.state)
		}
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(queued))
		age := 0.0
		if !oldest.IsZero() {
			age = max(time.Since(oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age)
	}
	if st, ok := c.store.(mosaic.StoreStatus); ok {
		if db, wal, err := st.Size(ctx); err != nil {
			c.onError(err)
		} else {
			ch <- prometheus.MustNewConstMetric(dbSizeDesc, prometheus.GaugeValue, float64(db))
			if wal >= 0 {
				ch <- prometheus.MustNewConstMetric(walSizeDesc, prometheus.GaugeValue, float64(wal))
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, up)
}
