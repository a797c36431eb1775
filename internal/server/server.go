// Package server assembles Nimbus: it opens the state engine, builds every
// service on it and puts them behind the one gateway.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// Config is how Nimbus runs.
type Config struct {
	Listen    string
	DataDir   string
	Ephemeral bool
	Region    string
	Fsync     bool
	Log       *slog.Logger
}

// Server is one running Nimbus.
type Server struct {
	cfg     Config
	store   storage.Backend
	handler http.Handler
	http    *http.Server
	log     *slog.Logger

	// onShutdown run when Shutdown starts, before it waits for requests
	// in flight (long polls end there instead of holding it up).
	onShutdown []func()

	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	closed   sync.Once
}

// New opens the state and builds the services; it does not listen yet.
func New(cfg Config) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opts := storage.Options{Ephemeral: cfg.Ephemeral, Fsync: cfg.Fsync}
	if !cfg.Ephemeral {
		if cfg.DataDir == "" {
			cfg.DataDir = ".nimbus"
		}
		dir, err := filepath.Abs(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		opts.Dir = dir
	}
	store, err := engine.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening state: %w", err)
	}
	s := &Server{cfg: cfg, store: store, log: cfg.Log}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	if err := s.build(); err != nil {
		_ = store.Close()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	for _, fn := range s.onShutdown {
		s.http.RegisterOnShutdown(fn)
	}
	return s, nil
}

// Handler is the gateway, for serving Nimbus from another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, waits for those in flight, stops the
// background workers and closes the state.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close stops background work and closes the state without waiting for
// requests.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		s.bgCancel()
		s.bg.Wait()
		err = s.store.Close()
	})
	return err
}

// background runs fn until the server closes.
func (s *Server) background(fn func(ctx context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		fn(s.bgCtx)
	}()
}

// Run starts Nimbus on cfg.Listen and serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	start := time.Now()
	srv, err := New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = srv.Close()
		return err
	}
	where := "data dir " + srv.cfg.DataDir
	if cfg.Ephemeral {
		where = "ephemeral state"
	}
	srv.log.Info("nimbus ready", "endpoint", "http://"+ln.Addr().String(), "state", where, "startup", time.Since(start).Round(time.Microsecond))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = srv.Close()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	srv.log.Info("nimbus stopped")
	return err
}
