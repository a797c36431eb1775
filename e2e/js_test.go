package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus"
)

// jsDir holds the suites written with the AWS SDK for JavaScript v3: its
// package.json pins the SDK and its package-lock.json the whole tree.
const jsDir = "js"

// jsStamp, written into node_modules after a successful install, records
// which package.json and package-lock.json it was installed from, so a run
// reinstalls only when they change.
const jsStamp = "node_modules/.nimbus-installed"

var jsInstall struct {
	once sync.Once
	err  error
	out  string
}

// jsModules makes sure e2e/js/node_modules matches the lock file, running
// `npm ci` when it is missing or stale. Node.js and npm must be installed
// (scripts/test installs them): their absence fails the test, never skips it.
func jsModules(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run scripts/test, which installs Debian's nodejs and npm", tool)
		}
	}
	jsInstall.once.Do(func() {
		want, err := jsLockDigest()
		if err != nil {
			jsInstall.err = err
			return
		}
		if have, err := os.ReadFile(filepath.Join(jsDir, jsStamp)); err == nil && string(have) == want {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = jsDir
		out, err := cmd.CombinedOutput()
		jsInstall.out = string(out)
		if err != nil {
			jsInstall.err = err
			return
		}
		jsInstall.err = os.WriteFile(filepath.Join(jsDir, jsStamp), []byte(want), 0o644)
	})
	if jsInstall.err != nil {
		t.Fatalf("npm ci in e2e/js: %v\n%s", jsInstall.err, jsInstall.out)
	}
}

func jsLockDigest() (string, error) {
	h := sha256.New()
	for _, name := range []string{"package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(jsDir, name))
		if err != nil {
			return "", err
		}
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TestJSSDK runs every e2e/js/test/*.test.mjs file with node's own test
// runner, each against a cloud of its own.
func TestJSSDK(t *testing.T) {
	jsModules(t)
	files, err := filepath.Glob(filepath.Join(jsDir, "test", "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JavaScript suites in %s/test: %v", jsDir, err)
	}
	sort.Strings(files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".test.mjs")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cloud := nimbus.Start(t)
			runNodeTest(t, cloud, filepath.Join("test", filepath.Base(file)))
		})
	}
}

func runNodeTest(t *testing.T, cloud *nimbus.Instance, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", file)
	cmd.Dir = jsDir
	// The SDK must not find settings of the machine it runs on.
	cmd.Env = append(os.Environ(), "NIMBUS_ENDPOINT="+cloud.Endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", file, err, out.String())
	}
	t.Log(out.String())
}
