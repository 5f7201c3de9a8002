// Command parley-ferretdb runs FerretDB v1 with its SQLite backend as the local
// MongoDB-wire-compatible store for the messaging service.
//
// Why a wrapper: `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.x`
// builds a binary that panics at start because its build/version files are not part
// of the published module. The embeddable package `ferretdb` works, so this small
// module runs it. docker-compose.yml uses real MongoDB instead.
package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "MongoDB wire protocol TCP address")
	dataDir := flag.String("data-dir", "var/data/ferretdb", "directory for the SQLite databases")
	metrics := flag.String("metrics", "", "address for Prometheus /metrics and /health (empty: off)")
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)

	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		logger.Error("cannot create data dir", "dir", *dataDir, "error", err)
		os.Exit(1)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/",
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *metrics != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.Handler())
		mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
		srv := &http.Server{Addr: *metrics, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				logger.Error("metrics listener failed", "error", err)
			}
		}()
		defer srv.Close()
	}

	logger.Info("FerretDB listening", "uri", f.MongoDBURI(), "data_dir", *dataDir)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		logger.Error("FerretDB stopped", "error", err)
		os.Exit(1)
	}
}
