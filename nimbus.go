// Package nimbus starts a whole Nimbus cloud inside a Go program's own tests:
//
//	cloud := nimbus.Start(t)
//	cfg, _ := config.LoadDefaultConfig(ctx, config.WithBaseEndpoint(cloud.Endpoint), ...)
//
// The cloud listens on a free port of 127.0.0.1, keeps its state in memory
// (or in Options.DataDir) and stops when the test ends.
package nimbus

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/server"
)

// Options configure a test cloud.
type Options struct {
	// DataDir keeps state on disk in this directory; empty means in memory.
	DataDir string
	// Region is the default region; empty means us-east-1.
	Region string
}

// Instance is a running test cloud.
type Instance struct {
	// Endpoint is the URL to give AWS clients, e.g. "http://127.0.0.1:38231".
	Endpoint string

	t    testing.TB
	opts Options
	addr string
	srv  *server.Server
	done chan error
}

// Start runs a cloud until the test ends.
func Start(t testing.TB, opts ...Options) *Instance {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	in := &Instance{t: t, opts: o}
	in.start("127.0.0.1:0")
	t.Cleanup(in.Stop)
	return in
}

func (in *Instance) start(addr string) {
	in.t.Helper()
	cfg := server.Config{DataDir: in.opts.DataDir, Ephemeral: in.opts.DataDir == "", Region: in.opts.Region}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	srv, err := server.New(cfg)
	if err != nil {
		in.t.Fatalf("nimbus: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = srv.Close()
		in.t.Fatalf("nimbus: %v", err)
	}
	in.srv, in.addr, in.done = srv, ln.Addr().String(), make(chan error, 1)
	in.Endpoint = "http://" + in.addr
	go func() { in.done <- srv.Serve(ln) }()
}

// Restart stops the cloud and starts it again on the same address and
// data directory, as a process restart would.
func (in *Instance) Restart() {
	in.t.Helper()
	in.Stop()
	in.start(in.addr)
}

// Stop shuts the cloud down; it is safe to call more than once.
func (in *Instance) Stop() {
	if in.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = in.srv.Shutdown(ctx)
	<-in.done
	in.srv = nil
}
