// Command nimbus runs the whole Nimbus cloud on one listener.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/nimbus-cloud/nimbus/internal/server"
)

func main() {
	cfg := server.Config{}
	flag.StringVar(&cfg.Listen, "listen", env("NIMBUS_LISTEN", "127.0.0.1:4566"), "address to listen on (NIMBUS_LISTEN)")
	flag.StringVar(&cfg.DataDir, "data-dir", env("NIMBUS_DATA_DIR", ".nimbus"), "directory that keeps all state (NIMBUS_DATA_DIR)")
	flag.BoolVar(&cfg.Ephemeral, "ephemeral", envBool("NIMBUS_EPHEMERAL"), "keep state in memory only (NIMBUS_EPHEMERAL)")
	flag.StringVar(&cfg.Region, "region", env("NIMBUS_REGION", "us-east-1"), "default region (NIMBUS_REGION)")
	flag.BoolVar(&cfg.Fsync, "fsync", envBool("NIMBUS_FSYNC"), "fsync every write, for durability against power loss (NIMBUS_FSYNC)")
	debug := flag.Bool("debug", envBool("NIMBUS_DEBUG"), "log every request (NIMBUS_DEBUG)")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "nimbus:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}
