// Command nimbus runs the whole Nimbus cloud on one listener.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
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
	cpuProfile := flag.String("cpuprofile", os.Getenv("NIMBUS_CPUPROFILE"), "write a CPU profile of the whole run to this file (NIMBUS_CPUPROFILE)")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nimbus:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "nimbus:", err)
			os.Exit(1)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := server.Run(ctx, cfg)
	stop()
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
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
